package engine

import "strings"

// isConnRefused: plan9 has no unix sockets, so no stale socket file either.
func isConnRefused(error) bool { return false }

// isAddrInUse matches plan9's error string, its only form of errno.
func isAddrInUse(err error) bool { return strings.Contains(err.Error(), "address in use") }
