//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package engine

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
)

// pollerName names the loop backend, which this OS lacks.
const pollerName = "epoll"

// loopIsDefault: without epoll or kqueue the portable backend is the only one.
const loopIsDefault = false

func newEpollBackend(*sync.WaitGroup) (backend, error) {
	return nil, fmt.Errorf("azmq: the loop backend needs epoll or kqueue, which %s lacks: %w", runtime.GOOS, errors.ErrUnsupported)
}
