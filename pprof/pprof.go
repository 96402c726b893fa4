package pprof

import (
	"fmt"
	"net/http"
	httppprof "net/http/pprof"
	"os"
	"runtime"
	rtpprof "runtime/pprof"
)

// Label keys azmq sets on the goroutines it starts (runtime/pprof labels):
// azmq.loop=N on an epoll loop, azmq.socket=TYPE#N on the goroutines that
// serve one socket's connections on the std backend. `go tool pprof
// -tagfocus azmq.socket=PUSH#3` isolates one socket.
const (
	LabelLoop   = "azmq.loop"
	LabelSocket = "azmq.socket"
)

// StartCPU starts a CPU profile written to path; call the returned function
// to stop it and close the file.
func StartCPU(path string) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("pprof: cpu profile: %w", err)
	}
	if err := rtpprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("pprof: cpu profile: %w", err)
	}
	return func() error {
		rtpprof.StopCPUProfile()
		return f.Close()
	}, nil
}

// Write writes the named runtime profile ("heap", "allocs", "mutex",
// "block", "goroutine", ...) to path. A heap profile is taken after a GC so
// that it shows live memory.
func Write(name, path string) error {
	p := rtpprof.Lookup(name)
	if p == nil {
		return fmt.Errorf("pprof: no profile named %q", name)
	}
	if name == "heap" {
		runtime.GC()
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("pprof: %s profile: %w", name, err)
	}
	if err := p.WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("pprof: %s profile: %w", name, err)
	}
	return f.Close()
}

// EnableContention turns on mutex and block profiling at the given rates
// (see runtime.SetMutexProfileFraction and runtime.SetBlockProfileRate);
// both are off by default because they cost time on every contended lock.
func EnableContention(mutexFraction, blockRate int) {
	runtime.SetMutexProfileFraction(mutexFraction)
	runtime.SetBlockProfileRate(blockRate)
}

// Handler returns an http.Handler serving the standard /debug/pprof/ pages,
// for mounting on a private listener of the application:
//
//	go http.ListenAndServe("127.0.0.1:6060", pprof.Handler())
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", httppprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", httppprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", httppprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", httppprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", httppprof.Trace)
	return mux
}
