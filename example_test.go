package azmq_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/azmq/azmq"
	"github.com/azmq/azmq/pprof"
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

// A latency-bound client and server can busy poll: each connection's
// reader keeps reading a dry socket for up to 100 µs before it parks, so a
// reply is picked up without waking a sleeping goroutine and CPU, at the
// cost of a busy core while traffic flows. It pays when each side has a
// CPU to itself (see BENCHMARKS.md); it is off by default.
func ExampleWithBusyPoll() {
	c := azmq.NewContext()
	defer c.Close()
	ctx := context.Background()

	rep, _ := c.NewSocket(azmq.Rep, azmq.WithBusyPoll(100*time.Microsecond))
	if err := rep.Bind("tcp://127.0.0.1:*"); err != nil {
		log.Fatal(err)
	}
	go func() {
		for {
			msg, err := rep.Recv(ctx)
			if err != nil {
				return
			}
			rep.Send(ctx, msg...)
		}
	}()

	req, _ := c.NewSocket(azmq.Req, azmq.WithBusyPoll(100*time.Microsecond))
	if err := req.Connect(rep.Addr()); err != nil {
		log.Fatal(err)
	}
	req.Send(ctx, []byte("ping"))
	reply, err := req.Recv(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", reply[0])
	// Output:
	// ping
}

// REQ and REP over inproc: each request waits for its reply, and the REP
// answers in the order the requests came.
func Example_requestReply() {
	c := azmq.NewContext()
	defer c.Close()
	ctx := context.Background()

	rep, _ := c.NewSocket(azmq.Rep)
	if err := rep.Bind("inproc://greeter"); err != nil {
		log.Fatal(err)
	}
	go func() {
		for {
			req, err := rep.Recv(ctx)
			if err != nil {
				return // ErrClosed when the context closes
			}
			rep.Send(ctx, []byte("hello, "+string(req[0])))
		}
	}()

	req, _ := c.NewSocket(azmq.Req)
	if err := req.Connect("inproc://greeter"); err != nil {
		log.Fatal(err)
	}
	for _, name := range []string{"alice", "bob"} {
		req.Send(ctx, []byte(name))
		reply, err := req.Recv(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s\n", reply[0])
	}
	// A second Send before the reply is out of turn, as in libzmq.
	req.Send(ctx, []byte("carol"))
	err := req.Send(ctx, []byte("dave"))
	fmt.Println("out of turn:", errors.Is(err, azmq.ErrState))
	// Output:
	// hello, alice
	// hello, bob
	// out of turn: true
}

// A PUSH/PULL pipeline: a ventilator spreads tasks over two workers round
// robin, and a sink fair-queues their results.
func Example_pipeline() {
	c := azmq.NewContext()
	defer c.Close()
	ctx := context.Background()

	tasks, _ := c.NewSocket(azmq.Push)
	tasks.Bind("inproc://tasks")
	sink, _ := c.NewSocket(azmq.Pull)
	sink.Bind("inproc://results")

	var workers []*azmq.Socket
	for range 2 {
		in, _ := c.NewSocket(azmq.Pull)
		workers = append(workers, in)
		in.Connect("inproc://tasks")
		out, _ := c.NewSocket(azmq.Push)
		out.Connect("inproc://results")
		go func() { // a worker: square each number
			for {
				task, err := in.Recv(ctx)
				if err != nil {
					return
				}
				n, _ := strconv.Atoi(string(task[0]))
				out.Send(ctx, []byte(strconv.Itoa(n*n)))
			}
		}()
	}

	for n := 1; n <= 10; n++ {
		tasks.Send(ctx, []byte(strconv.Itoa(n)))
	}
	sum := 0
	for range 10 {
		r, err := sink.Recv(ctx)
		if err != nil {
			log.Fatal(err)
		}
		n, _ := strconv.Atoi(string(r[0]))
		sum += n
	}
	fmt.Println("sum of squares:", sum)
	fmt.Println("tasks per worker:", workers[0].Stats().MsgsIn, workers[1].Stats().MsgsIn)
	// Output:
	// sum of squares: 385
	// tasks per worker: 5 5
}

// PUB/SUB with topics: a SUB receives the messages whose first frame starts
// with one of its subscriptions. A subscription travels to the publisher,
// and messages sent before it arrives are not delivered (the "slow joiner");
// over inproc it arrives as soon as Subscribe returns, and a PUB applies it
// at its next Send, which makes this example deterministic. Over tcp, wait
// for it (or have the subscriber ask for a first message) before relying on
// delivery.
func Example_pubSub() {
	c := azmq.NewContext()
	defer c.Close()
	ctx := context.Background()

	pub, _ := c.NewSocket(azmq.Pub)
	pub.Bind("inproc://weather")

	sub, _ := c.NewSocket(azmq.Sub)
	sub.Connect("inproc://weather")
	sub.Subscribe([]byte("weather.eu."))
	sub.Subscribe([]byte("alerts"))

	pub.Send(ctx, []byte("weather.eu.paris"), []byte("21°C"))
	pub.Send(ctx, []byte("weather.us.boston"), []byte("12°C")) // filtered out
	pub.Send(ctx, []byte("weather.eu.oslo"), []byte("-3°C"))
	pub.Send(ctx, []byte("alerts"), []byte("storm"))

	for range 3 {
		m, err := sub.Recv(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %s\n", m[0], m[1])
	}
	// Output:
	// weather.eu.paris: 21°C
	// weather.eu.oslo: -3°C
	// alerts: storm
}

// An asynchronous server: a ROUTER prefixes each request with the routing
// id of the DEALER that sent it and routes the reply back by that id, so
// clients may send several requests without waiting.
func Example_dealerRouter() {
	c := azmq.NewContext()
	defer c.Close()
	ctx := context.Background()

	server, _ := c.NewSocket(azmq.Router)
	server.Bind("inproc://server")
	go func() {
		for m, err := range server.Messages(ctx) {
			if err != nil {
				return
			}
			id, body := m[0], m[1]
			server.Send(ctx, id, append([]byte("done: "), body...))
		}
	}()

	for _, name := range []string{"alice", "bob"} {
		client, _ := c.NewSocket(azmq.Dealer, azmq.WithRoutingID([]byte(name)))
		client.Connect("inproc://server")
		client.Send(ctx, []byte(name+"'s job 1")) // two requests in flight
		client.Send(ctx, []byte(name+"'s job 2"))
		for range 2 {
			reply, err := client.Recv(ctx)
			if err != nil {
				log.Fatal(err)
			}
			fmt.Printf("%s got %q\n", name, reply[0])
		}
	}
	// Output:
	// alice got "done: alice's job 1"
	// alice got "done: alice's job 2"
	// bob got "done: bob's job 1"
	// bob got "done: bob's job 2"
}

// XSUB and XPUB forward by hand what Proxy forwards in a loop (Proxy(ctx,
// xsub, xpub, nil) is a pub-sub forwarder; see ExampleProxy): subscriptions
// travel up from XPUB to XSUB as messages whose first byte is 1
// (subscribe) or 0 (cancel), and data travels down from XSUB to XPUB.
func Example_xpubXsub() {
	c := azmq.NewContext()
	defer c.Close()
	ctx := context.Background()

	pub, _ := c.NewSocket(azmq.Pub)
	pub.Bind("inproc://upstream")
	xsub, _ := c.NewSocket(azmq.XSub)
	xsub.Connect("inproc://upstream")
	xpub, _ := c.NewSocket(azmq.XPub)
	xpub.Bind("inproc://downstream")
	sub, _ := c.NewSocket(azmq.Sub)
	sub.Connect("inproc://downstream")

	sub.Subscribe([]byte("news"))
	up, _ := xpub.Recv(ctx) // the subscription, as XPUB hands it up
	fmt.Printf("subscription: %d %q\n", up[0][0], up[0][1:])
	xsub.Send(ctx, up...) // forward it to the publisher

	pub.Send(ctx, []byte("sport"), []byte("0:0")) // nobody subscribed
	pub.Send(ctx, []byte("news"), []byte("hello"))
	down, _ := xsub.Recv(ctx)
	xpub.Send(ctx, down...) // forward it to the subscribers

	m, _ := sub.Recv(ctx)
	fmt.Printf("%s: %s\n", m[0], m[1])
	// Output:
	// subscription: 1 "news"
	// news: hello
}

// Stats are always on: counters of messages, bytes, drops and connections,
// and one entry per attached peer.
func ExampleSocket_Stats() {
	c := azmq.NewContext()
	defer c.Close()
	ctx := context.Background()

	pull, _ := c.NewSocket(azmq.Pull)
	pull.Bind("inproc://stats")
	push, _ := c.NewSocket(azmq.Push)
	push.Connect("inproc://stats")

	for _, s := range []string{"a", "bb", "ccc"} {
		push.Send(ctx, []byte(s))
	}
	pull.Recv(ctx)

	out, in := push.Stats(), pull.Stats()
	fmt.Printf("push: %d messages, %d bytes out\n", out.MsgsOut, out.BytesOut)
	fmt.Printf("pull: %d message, %d byte in\n", in.MsgsIn, in.BytesIn)
	fmt.Printf("pull has %d peer, a %s\n", len(in.Pipes), in.Pipes[0].PeerType)
	// Output:
	// push: 3 messages, 6 bytes out
	// pull: 1 message, 1 byte in
	// pull has 1 peer, a PUSH
}

// Profiling: the pprof package writes the standard profiles, and azmq
// labels its goroutines so that a profile splits time by socket
// (go tool pprof -tagfocus azmq.socket=PUSH#3 cpu.prof).
func Example_profiling() {
	dir, err := os.MkdirTemp("", "azmq-profile")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// StartCPU fails if a CPU profile already runs (go test -cpuprofile).
	if stop, err := pprof.StartCPU(filepath.Join(dir, "cpu.prof")); err == nil {
		defer stop()
	}

	c := azmq.NewContext()
	defer c.Close()
	ctx := context.Background()
	pull, _ := c.NewSocket(azmq.Pull)
	pull.Bind("inproc://work")
	push, _ := c.NewSocket(azmq.Push)
	push.Connect("inproc://work")
	for range 1000 {
		push.Send(ctx, []byte("work"))
		pull.Recv(ctx)
	}

	if err := pprof.Write("heap", filepath.Join(dir, "heap.prof")); err != nil {
		log.Fatal(err)
	}
	fmt.Println("label keys:", pprof.LabelLoop, pprof.LabelSocket)
	// Output:
	// label keys: azmq.loop azmq.socket
}

// Messages ranges over what a socket receives. The sequence ends with one
// error: here the context's, after cancel.
func ExampleSocket_Messages() {
	c := azmq.NewContext()
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	pull, _ := c.NewSocket(azmq.Pull)
	pull.Bind("inproc://lines")
	push, _ := c.NewSocket(azmq.Push)
	push.Connect("inproc://lines")
	for _, s := range []string{"one", "two", "last"} {
		push.Send(ctx, []byte(s))
	}

	for msg, err := range pull.Messages(ctx) {
		if err != nil {
			fmt.Println("stopped:", errors.Is(err, context.Canceled))
			break
		}
		fmt.Printf("%s\n", msg[0])
		if string(msg[0]) == "last" {
			cancel()
		}
	}
	// Output:
	// one
	// two
	// last
	// stopped: true
}

// Chan delivers a socket's messages on a channel, to select over several
// sockets and timers: the Go form of zmq_poll.
func ExampleSocket_Chan() {
	c := azmq.NewContext()
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	jobsIn, _ := c.NewSocket(azmq.Pull)
	jobsIn.Bind("inproc://jobs")
	controlIn, _ := c.NewSocket(azmq.Pull)
	controlIn.Bind("inproc://control")
	jobs, _ := c.NewSocket(azmq.Push)
	jobs.Connect("inproc://jobs")
	control, _ := c.NewSocket(azmq.Push)
	control.Connect("inproc://control")

	jobs.Send(ctx, []byte("job 1"))
	jobs.Send(ctx, []byte("job 2"))

	jobsC, controlC := jobsIn.Chan(ctx), controlIn.Chan(ctx)
	timeout := time.After(10 * time.Second)
	done := 0
loop:
	for {
		select {
		case m := <-jobsC.C:
			fmt.Printf("%s\n", m[0])
			if done++; done == 2 {
				control.Send(ctx, []byte("stop"))
			}
		case m := <-controlC.C:
			fmt.Printf("control: %s\n", m[0])
			break loop
		case <-timeout:
			fmt.Println("timed out")
			break loop
		}
	}

	cancel() // ends both Receivers' goroutines
	for range jobsC.C {
	}
	fmt.Println("jobs:", errors.Is(jobsC.Err(), context.Canceled))
	// Output:
	// job 1
	// job 2
	// control: stop
	// jobs: true
}

// A context that is already done makes Send and Recv non-blocking, as
// libzmq's ZMQ_DONTWAIT does: they do what they can at once, and instead of
// EAGAIN return an error wrapping the context's.
func Example_nonBlocking() {
	c := azmq.NewContext()
	defer c.Close()
	pull, _ := c.NewSocket(azmq.Pull)
	pull.Bind("inproc://dontwait")
	push, _ := c.NewSocket(azmq.Push)
	push.Connect("inproc://dontwait")

	now, cancel := context.WithCancel(context.Background())
	cancel()

	_, err := pull.Recv(now)
	fmt.Println("nothing queued:", errors.Is(err, context.Canceled))

	push.Send(now, []byte("ready"))
	m, err := pull.Recv(now)
	fmt.Printf("%s %v\n", m[0], err)
	// Output:
	// nothing queued: true
	// ready <nil>
}

// CURVE encrypts and authenticates: the server proves it holds the secret
// key behind the public key the client knows, and an Authenticator (ZAP)
// decides which client keys may connect. The User-Id it gives a client
// travels with that client's messages. Mechanisms run on tcp and ipc, not
// inproc.
func Example_curve() {
	c := azmq.NewContext()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	serverPublic, serverSecret, _ := azmq.NewCurveKeypair()
	alicePublic, aliceSecret, _ := azmq.NewCurveKeypair()
	names := map[azmq.PublicKey]string{alicePublic: "alice"}
	c.SetAuthenticator(azmq.AuthenticatorFunc(func(r *azmq.ZAPRequest) azmq.ZAPReply {
		if r.Mechanism == "CURVE" {
			key, _ := azmq.ParsePublicKey(string(r.Credentials[0])) // 32 raw bytes
			if name, ok := names[key]; ok {
				return azmq.ZAPReply{Status: azmq.ZAPOK, UserID: name}
			}
		}
		return azmq.ZAPReply{Status: azmq.ZAPDenied, Text: "unknown key"}
	}))

	server, _ := c.NewSocket(azmq.Pull, azmq.WithCurveServer(serverSecret), azmq.WithLinger(0))
	if err := server.Bind("tcp://127.0.0.1:*"); err != nil {
		log.Fatal(err)
	}
	alice, _ := c.NewSocket(azmq.Push, azmq.WithCurveClient(serverPublic, alicePublic, aliceSecret), azmq.WithLinger(0))
	alice.Connect(server.Addr())
	alice.Send(ctx, []byte("hello"))

	var m azmq.Msg
	if err := server.RecvMsg(ctx, &m); err != nil {
		log.Fatal(err)
	}
	user, _ := m.Property("User-Id")
	fmt.Printf("%s from %s\n", m.Frame(0), user)
	m.Release()

	// A client the Authenticator does not know is refused: both ends see
	// a HandshakeFailedAuth event, and the client stops reconnecting.
	strangerPublic, strangerSecret, _ := azmq.NewCurveKeypair()
	stranger, _ := c.NewSocket(azmq.Push, azmq.WithCurveClient(serverPublic, strangerPublic, strangerSecret), azmq.WithLinger(0))
	events := stranger.Monitor(ctx)
	stranger.Connect(server.Addr())
	for ev := range events {
		if ev.Kind == azmq.EventHandshakeFailedAuth {
			fmt.Println("stranger:", ev.Kind, errors.Is(ev.Err, azmq.ErrRefused))
			break
		}
	}
	// Output:
	// hello from alice
	// stranger: HandshakeFailedAuth true
}

// Monitor reports what happens to a socket's tcp and ipc connections:
// here a server sees a client connect, complete its handshake (with its
// routing id) and leave.
func ExampleSocket_Monitor() {
	c := azmq.NewContext()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	server, _ := c.NewSocket(azmq.Router, azmq.WithLinger(0))
	monCtx, stop := context.WithCancel(ctx)
	defer stop()
	events := server.Monitor(monCtx) // before Bind, to see Listening
	if err := server.Bind("tcp://127.0.0.1:*"); err != nil {
		log.Fatal(err)
	}
	client, _ := c.NewSocket(azmq.Dealer, azmq.WithRoutingID([]byte("client-1")), azmq.WithLinger(0))
	if err := client.Dial(ctx, server.Addr()); err != nil { // returns once the handshake is done
		log.Fatal(err)
	}

	for ev := range events {
		switch ev.Kind {
		case azmq.EventListening:
			fmt.Println(ev.Kind, ev.Endpoint == server.Addr())
		case azmq.EventAccepted:
			fmt.Println(ev.Kind, strings.HasPrefix(ev.Peer, "127.0.0.1:"))
		case azmq.EventHandshakeSucceeded:
			fmt.Println(ev.Kind, string(ev.RoutingID))
			client.Close()
		case azmq.EventDisconnected:
			fmt.Println(ev.Kind, string(ev.RoutingID))
			stop() // ends the monitor: MonitorStopped, then the channel closes
		case azmq.EventMonitorStopped:
			fmt.Println(ev.Kind)
		}
	}
	// Output:
	// Listening true
	// Accepted true
	// HandshakeSucceeded client-1
	// Disconnected client-1
	// MonitorStopped
}

// Proxy joins a frontend and a backend, here a ROUTER for clients and a
// DEALER for workers: a broker, so that clients and workers know only its
// address. It runs until its context ends.
func ExampleProxy() {
	c := azmq.NewContext()
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	frontend, _ := c.NewSocket(azmq.Router)
	frontend.Bind("inproc://clients")
	backend, _ := c.NewSocket(azmq.Dealer)
	backend.Bind("inproc://workers")
	stopped := make(chan error, 1)
	go func() { stopped <- azmq.Proxy(ctx, frontend, backend, nil) }()

	worker, _ := c.NewSocket(azmq.Rep)
	worker.Connect("inproc://workers")
	go func() {
		for req, err := range worker.Messages(ctx) {
			if err != nil {
				return
			}
			worker.Send(ctx, append([]byte("done: "), req[0]...))
		}
	}()

	client, _ := c.NewSocket(azmq.Req)
	client.Connect("inproc://clients")
	for _, job := range []string{"job 1", "job 2"} {
		client.Send(ctx, []byte(job))
		reply, err := client.Recv(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s\n", reply[0])
	}

	cancel()
	fmt.Println("proxy stopped:", errors.Is(<-stopped, context.Canceled))
	// Output:
	// done: job 1
	// done: job 2
	// proxy stopped: true
}
