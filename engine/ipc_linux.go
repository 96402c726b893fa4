package engine

// abstractIPC: Linux has an abstract socket namespace, "ipc://@name".
const abstractIPC = true

// maxIPCPath is sun_path's 108 bytes less the terminating NUL: libzmq
// refuses longer paths with ENAMETOOLONG (sockets.md §10.2).
const maxIPCPath = 107

// ipcSupport reports why ipc cannot work here; nil: it can.
func ipcSupport() error { return nil }
