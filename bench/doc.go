// Package bench holds azmq's benchmark programs. It is a module of its own
// so that the comparison peers it will build against (libzmq, pyzmq, other
// Go libraries) never become dependencies of the library.
package bench
