package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/azmq/azmq"
)

// runProxy forwards between two sockets with azmq.Proxy until interrupted:
// a ROUTER/DEALER broker by default, an XSUB/XPUB forwarder or a PULL/PUSH
// streamer with --front-type and --back-type.
func runProxy(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("azmq proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	frontType := fs.String("front-type", "router", "frontend socket type (XSUB for a pub-sub forwarder)")
	backType := fs.String("back-type", "dealer", "backend socket type (XPUB for a pub-sub forwarder)")
	frontConnect := fs.Bool("front-connect", false, "connect the frontend instead of binding it")
	backConnect := fs.Bool("back-connect", false, "connect the backend instead of binding it")
	capture := fs.String("capture", "", "bind a PUB here that publishes a copy of every message forwarded")
	// A stopped broker has nobody to deliver its queues to: no linger.
	linger := fs.Duration("linger", 0, "how long to go on sending queued messages at exit (negative: until sent)")
	backend := fs.String("backend", "default", "I/O backend: default, epoll or std")
	var sf secFlags
	sf.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: azmq proxy [flags] FRONTEND BACKEND\nForward messages both ways between two sockets (zmq_proxy) until interrupted.\nThe security flags apply to the frontend.\n\nFlags:")
		fs.PrintDefaults()
	}
	var endpoints []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		if rest = fs.Args(); len(rest) == 0 {
			break
		}
		endpoints, rest = append(endpoints, rest[0]), rest[1:]
	}
	if len(endpoints) != 2 {
		return fmt.Errorf("%w: want FRONTEND and BACKEND endpoints, got %d", errUsage, len(endpoints))
	}
	ft, err := parseType(*frontType, allTypes)
	if err != nil {
		return fmt.Errorf("--front-type: %w", err)
	}
	bt, err := parseType(*backType, allTypes)
	if err != nil {
		return fmt.Errorf("--back-type: %w", err)
	}
	b, err := parseBackend(*backend)
	if err != nil {
		return err
	}
	sec, err := sf.resolve(fs)
	if err != nil {
		return err
	}

	c := azmq.NewContext(azmq.WithBackend(b))
	if sec.auth != nil {
		c.SetAuthenticator(sec.auth)
	}
	closed := make(chan struct{})
	defer func() {
		// Close waits for the linger; an interrupt does not wait for it.
		go func() { c.Close(); close(closed) }()
		select {
		case <-closed:
		case <-ctx.Done():
		}
	}()
	open := func(role string, t azmq.Type, ep string, connect bool, opts ...azmq.Option) (*azmq.Socket, error) {
		s, err := c.NewSocket(t, append([]azmq.Option{azmq.WithLinger(*linger)}, opts...)...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", role, err)
		}
		if t == azmq.Sub {
			s.Subscribe(nil) // a SUB frontend forwards everything
		}
		if connect {
			if err := s.Connect(ep); err != nil {
				return nil, fmt.Errorf("%s: %w", role, err)
			}
			return s, nil
		}
		if err := s.Bind(ep); err != nil {
			return nil, fmt.Errorf("%s: %w", role, err)
		}
		if s.Addr() != ep {
			fmt.Fprintf(stderr, "azmq proxy: %s bound %s\n", role, s.Addr())
		}
		return s, nil
	}
	front, err := open("frontend", ft, endpoints[0], *frontConnect, sec.opts...)
	if err != nil {
		return err
	}
	back, err := open("backend", bt, endpoints[1], *backConnect)
	if err != nil {
		return err
	}
	var capt *azmq.Socket
	if *capture != "" {
		if capt, err = open("capture", azmq.Pub, *capture, false); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "azmq proxy: %v %s <-> %v %s\n", ft, endpoints[0], bt, endpoints[1])
	err = azmq.Proxy(ctx, front, back, capt)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
