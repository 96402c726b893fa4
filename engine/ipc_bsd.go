//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package engine

// abstractIPC: the abstract socket namespace is Linux's alone.
const abstractIPC = false

// maxIPCPath is sun_path's 104 bytes on macOS and the BSDs less the
// terminating NUL, the limit libzmq applies there.
const maxIPCPath = 103

// ipcSupport reports why ipc cannot work here; nil: it can.
func ipcSupport() error { return nil }
