//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows || plan9 || js || wasip1)

package engine

// abstractIPC: the abstract socket namespace is Linux's alone.
const abstractIPC = false

// maxIPCPath is the smallest sun_path (104 bytes, the BSDs') less the
// terminating NUL, for the Unix systems without a file of their own here.
const maxIPCPath = 103

// ipcSupport reports why ipc cannot work here; nil: it can.
func ipcSupport() error { return nil }
