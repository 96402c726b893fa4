//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package engine

import "os"

// Readiness bits a poller reports and takes as interest. A hang-up or a
// pending error sets both, so that the next read or write finds it.
const (
	evRead  uint32 = 1 << iota // readable, or the peer closed its side
	evWrite                    // writable
)

// pollEvent is one readiness report. An fd may appear in more than one
// report of a batch (kqueue has one per filter).
type pollEvent struct {
	fd int32
	ev uint32
}

// poller is the OS's readiness notification, the only part of the loop that
// differs between systems: epoll on Linux, kqueue on the BSDs and macOS.
// Only wake may be called from other goroutines than the loop's.
type poller interface {
	// add registers fd for edge-triggered evRead and/or evWrite events.
	add(fd int, interest uint32) error
	// remove unregisters fd; it is called before fd is closed.
	remove(fd int)
	// wait fills evs with ready events without blocking and returns how
	// many. Wake-ups are consumed, never reported.
	wait(evs []pollEvent) (int, error)
	// wake makes file readable until the next wait.
	wake()
	// file is readable whenever wait has something to return; the loop
	// parks on it through the Go runtime poller.
	file() *os.File
	// close releases the poller and its file.
	close()
}
