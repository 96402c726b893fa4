//go:build !linux

package engine

import (
	"errors"
	"sync"
)

func newEpollBackend(*sync.WaitGroup) (backend, error) {
	return nil, errors.New("azmq: the epoll backend needs Linux")
}
