package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/azmq/azmq/ring"
)

// claimIPC prepares a filesystem path for a listener: a wildcard gets a
// fresh private directory (as libzmq's ipc://*), a socket file left by a dead
// process is removed, and a path a live listener holds is refused — libzmq
// would steal it, silently cutting the other process off. It returns the
// endpoint to bind and what to remove once the listener is closed.
func claimIPC(ep Endpoint) (Endpoint, func(), error) {
	if ep.Abstract() {
		return ep, func() {}, nil
	}
	if ep.Path == "*" {
		dir, err := os.MkdirTemp("", "azmq")
		if err != nil {
			return ep, nil, err
		}
		ep.Path = filepath.Join(dir, "socket")
		return ep, func() { os.RemoveAll(dir) }, nil
	}
	fi, err := os.Lstat(ep.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return ep, nil, err
	case fi.Mode()&fs.ModeSocket == 0:
		return ep, nil, fmt.Errorf("%s exists and is not a socket", ep.Path)
	default:
		c, err := net.DialTimeout("unix", ep.Path, time.Second)
		if err == nil {
			c.Close()
			return ep, nil, fmt.Errorf("%w: a live listener holds %s", ring.ErrAddrInUse, ep.Path)
		}
		if !isConnRefused(err) {
			return ep, nil, fmt.Errorf("probing %s: %w", ep.Path, err)
		}
		if err := os.Remove(ep.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return ep, nil, fmt.Errorf("removing stale socket: %w", err)
		}
	}
	path := ep.Path
	return ep, func() { os.Remove(path) }, nil
}

// bindError gives a taken tcp port the same sentinel as a taken ipc path.
func bindError(err error) error {
	if isAddrInUse(err) {
		return fmt.Errorf("%w: %w", ring.ErrAddrInUse, err)
	}
	return err
}
