// Package pprof captures profiles of a program that embeds azmq: CPU, heap,
// mutex, block and goroutine profiles written to files, the same served over
// HTTP, and the goroutine label keys azmq puts on its own goroutines so that
// a profile shows which loop or socket the time went to.
//
// Inside this package the standard runtime/pprof is imported as rtpprof.
package pprof
