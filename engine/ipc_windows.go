package engine

import (
	"errors"
	"sync"
	"syscall"

	"golang.org/x/sys/windows"
)

// abstractIPC: Go's AF_UNIX on Windows takes file paths only.
const abstractIPC = false

// maxIPCPath is sun_path's 108 bytes (afunix.h) less the terminating NUL.
const maxIPCPath = 107

// ipcSupport reports why ipc cannot work here: AF_UNIX stream sockets came
// with Windows 10 version 1803 (libzmq uses them from 4.3.3). Probed once.
var ipcSupport = sync.OnceValue(func() error {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		return errors.New("ipc needs AF_UNIX sockets, which Windows has from Windows 10 version 1803: " + err.Error())
	}
	syscall.Closesocket(fd)
	return nil
})

// isConnRefused and isAddrInUse match Winsock's errors, which are not the
// errno values package syscall defines for Windows.
func isConnRefused(err error) bool {
	return errors.Is(err, windows.WSAECONNREFUSED) || errors.Is(err, syscall.ECONNREFUSED)
}

func isAddrInUse(err error) bool {
	return errors.Is(err, windows.WSAEADDRINUSE) || errors.Is(err, syscall.EADDRINUSE)
}
