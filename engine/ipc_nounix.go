//go:build plan9 || js || wasip1

package engine

import (
	"errors"
	"runtime"
)

const abstractIPC = false

// maxIPCPath only bounds what the parser accepts: ipc fails here anyway.
const maxIPCPath = 107

var errNoUnixSockets = errors.New("ipc needs unix domain sockets, which " + runtime.GOOS + " does not have")

// ipcSupport reports why ipc cannot work here.
func ipcSupport() error { return errNoUnixSockets }
