//go:build !azmq_safe

package engine

import "unsafe"

// addrOf returns where b's bytes are in memory, to place copies relative to
// them (see unalias).
func addrOf(b []byte) (uintptr, bool) { return uintptr(unsafe.Pointer(unsafe.SliceData(b))), true }
