package azmq_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/azmq/azmq"
)

// A REP socket echoes requests in upper case to a REQ socket over tcp
// loopback.
func Example() {
	c := azmq.NewContext()
	defer c.Close()

	// WithLinger(0): closing discards whatever is still queued instead of
	// waiting for it to be sent.
	rep, err := c.NewSocket(azmq.Rep, azmq.WithLinger(0))
	if err != nil {
		log.Fatal(err)
	}
	if err := rep.Bind("tcp://127.0.0.1:*"); err != nil {
		log.Fatal(err)
	}
	go func() {
		for {
			msg, err := rep.Recv(context.Background())
			if err != nil {
				return // ErrClosed once the context closes
			}
			reply := append([]byte("echo: "), msg[0]...)
			rep.Send(context.Background(), reply)
		}
	}()

	req, err := c.NewSocket(azmq.Req, azmq.WithLinger(0))
	if err != nil {
		log.Fatal(err)
	}
	if err := req.Connect(rep.Addr()); err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, q := range []string{"hello", "world"} {
		if err := req.Send(ctx, []byte(q)); err != nil {
			log.Fatal(err)
		}
		reply, err := req.Recv(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s\n", reply[0])
	}
	// Output:
	// echo: hello
	// echo: world
}

// SendMsg hands its frames over to the socket and leaves the Msg empty for
// reuse; RecvMsg fills a Msg with views that stay valid until Release.
func ExampleSocket_SendMsg() {
	c := azmq.NewContext()
	defer c.Close()
	pull, _ := c.NewSocket(azmq.Pull, azmq.WithLinger(0))
	push, _ := c.NewSocket(azmq.Push, azmq.WithLinger(0))
	if err := pull.Bind("tcp://127.0.0.1:*"); err != nil {
		log.Fatal(err)
	}
	push.Connect(pull.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	var out azmq.Msg
	out.Append([]byte("key"))
	out.Append([]byte("value")) // not to be modified from here on
	if err := push.SendMsg(ctx, &out); err != nil {
		log.Fatal(err) // on error out still holds its frames
	}
	fmt.Println("frames left after SendMsg:", out.Len())

	var in azmq.Msg
	if err := pull.RecvMsg(ctx, &in); err != nil {
		log.Fatal(err)
	}
	key := string(in.Frame(0)) // a copy: outlives Release
	fmt.Println(in.Len(), key, string(in.Frame(1)))
	in.Release() // the views are invalid from here on
	// Output:
	// frames left after SendMsg: 0
	// 2 key value
}

// A context owns the I/O engine of its sockets; closing it closes them.
func ExampleNewContext() {
	c := azmq.NewContext(azmq.WithBackend(azmq.BackendStd))
	fmt.Println("backend:", c.Backend())

	s, err := c.NewSocket(azmq.Dealer, azmq.WithRoutingID([]byte("worker-1")), azmq.WithLinger(0))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("socket:", s.Type())

	c.Close()
	err = s.Send(context.Background(), []byte("x"))
	fmt.Println("closed:", errors.Is(err, azmq.ErrClosed))
	// Output:
	// backend: std
	// socket: DEALER
	// closed: true
}
