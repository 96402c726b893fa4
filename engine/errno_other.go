//go:build !windows && !plan9

package engine

import (
	"errors"
	"syscall"
)

// isConnRefused tells a socket file nobody listens on from a live one.
func isConnRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// isAddrInUse tells a taken port or path from other bind failures.
func isAddrInUse(err error) bool { return errors.Is(err, syscall.EADDRINUSE) }
