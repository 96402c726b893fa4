package azmq_test

// Capture of real libzmq traffic for the fuzz corpora. A libzmq peer
// (pyzmq) connects to a plain Go listener that answers with our greeting
// and READY, then sends messages and subscriptions; every byte it writes is
// kept and stored as seeds of the fuzz targets that decode peer bytes, in Go's
// corpus format, under each package's testdata/fuzz/<Target>/. Re-record with
//
//	AZMQ_CAPTURE=1 go test -run TestCaptureLibzmqCorpus .

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/azmq/azmq/frame"
)

// captureCase is one libzmq socket talking to a raw listener that plays ours.
type captureCase struct {
	theirs, ours string
	id           []byte
	// extra is what our side sends after READY (a PUB needs a SUBSCRIBE).
	extra []byte
	drive func(p *pyPeer)
}

var captureCases = []captureCase{
	{theirs: "DEALER", ours: "ROUTER", id: []byte("dealer-1"), drive: func(p *pyPeer) {
		p.send([]byte("hello"))
		p.send([]byte("a"), []byte{}, []byte("c"))
		p.send(make([]byte, 300))
	}},
	{theirs: "REQ", ours: "ROUTER", drive: func(p *pyPeer) { p.send([]byte("request")) }},
	{theirs: "PUSH", ours: "PULL", drive: func(p *pyPeer) {
		p.send([]byte("one"))
		p.send([]byte("two"), []byte("parts"))
		p.send([]byte{})
	}},
	{theirs: "SUB", ours: "PUB", drive: func(p *pyPeer) {
		p.subscribe([]byte("A"))
		p.subscribe([]byte{})
		p.subscribe([]byte("topic.long"))
	}},
	{theirs: "XSUB", ours: "XPUB", drive: func(p *pyPeer) {
		p.send([]byte("\x01news"))
		p.send([]byte("\x00news"))
		p.send([]byte("data from xsub"))
	}},
	{theirs: "PUB", ours: "SUB", extra: frame.AppendCommand(nil, frame.NameSubscribe), drive: func(p *pyPeer) {
		p.do(map[string]any{"poll": 200}) // let libzmq take the subscription
		p.send([]byte("A-topic"), []byte("body"))
		p.send([]byte("B"))
	}},
	{theirs: "PAIR", ours: "PAIR", drive: func(p *pyPeer) { p.send([]byte("pair"), make([]byte, 3000)) }},
}

func TestCaptureLibzmqCorpus(t *testing.T) {
	if os.Getenv("AZMQ_CAPTURE") == "" {
		t.Skip("set AZMQ_CAPTURE=1 to re-record the libzmq fuzz corpus")
	}
	requirePyzmq(t)
	for _, cc := range captureCases {
		t.Run(cc.theirs, func(t *testing.T) {
			stream := captureLibzmq(t, cc)
			writeCorpus(t, cc, stream)
		})
	}
}

// captureLibzmq returns every byte a libzmq peer of type cc.theirs wrote.
func captureLibzmq(t *testing.T, cc captureCase) []byte {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p := startPeer(t, cc.theirs, "connect", "tcp://"+l.Addr().String(), cc.id)
	l.(*net.TCPListener).SetDeadline(time.Now().Add(testTimeout))
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write(cat(nullGreeting, ready(cc.ours)))
	if cc.extra != nil {
		// Written together with the handshake, the SUBSCRIBE made
		// libzmq 4.3.4 close the connection here: send it once the
		// handshake is over.
		time.Sleep(200 * time.Millisecond)
		c.Write(cc.extra)
	}
	got := make(chan []byte)
	go func() {
		var all []byte
		buf := make([]byte, 1<<16)
		for {
			// The peer is done when it has been quiet for a while.
			c.SetReadDeadline(time.Now().Add(time.Second))
			n, err := c.Read(buf)
			all = append(all, buf[:n]...)
			if err != nil {
				got <- all
				return
			}
		}
	}()
	cc.drive(p)
	return <-got
}

// writeCorpus stores stream, and the pieces of it each decoder sees, as
// seeds of the fuzz targets.
func writeCorpus(t *testing.T, cc captureCase, stream []byte) {
	if len(stream) < frame.GreetingSize {
		t.Fatalf("libzmq wrote %d bytes", len(stream))
	}
	name := "libzmq-" + strings.ToLower(cc.theirs)
	greeting := stream[:frame.GreetingSize]
	rest := stream[frame.GreetingSize:]
	h, err := frame.ParseHeader(rest)
	if err != nil || !h.Command() {
		t.Fatalf("no READY after the greeting: %v", err)
	}
	readyBody := rest[h.Len : h.Len+int(h.Size)]
	traffic := rest[h.Len+int(h.Size):]
	cmd, err := frame.ParseCommand(readyBody)
	if err != nil || cmd.Kind != frame.CmdReady {
		t.Fatalf("READY: %v", err)
	}
	t.Logf("%s: greeting, READY %d bytes, traffic %d bytes", cc.theirs, len(readyBody), len(traffic))

	put(t, "frame", "FuzzParseGreeting", name, greeting)
	put(t, "frame", "FuzzParseCommand", name, readyBody)
	put(t, "frame", "FuzzMetadata", name, cmd.Data)
	put(t, "crypto", "FuzzNullHandshake", name, readyBody)
	if len(traffic) > 0 {
		th, err := frame.ParseHeader(traffic)
		if err != nil {
			t.Fatal(err)
		}
		put(t, "frame", "FuzzParseHeader", name, traffic[:th.Len])
		if th.Command() {
			put(t, "frame", "FuzzParseCommand", name+"-traffic", traffic[th.Len:th.Len+int(th.Size)])
		}
	}
	// FuzzSession plays a DEALER or, with mode bit 1, a ROUTER; bit 2 makes
	// the data the whole stream (engine/fuzz_test.go).
	const fuzzRouter, fuzzRaw = 1, 2
	mode := byte(0)
	if cc.ours == "ROUTER" {
		mode = fuzzRouter
	}
	put(t, "engine", "FuzzSession", name+"-raw", mode|fuzzRaw, []byte{0}, stream)
	put(t, "engine", "FuzzSession", name+"-split", mode, []byte{3, 250, 17}, traffic)
	// FuzzSessionSocket: the index of our type in engine's socketTypes, and
	// bit 7 for a raw stream.
	ours := socketIndex(t, cc.ours)
	put(t, "engine", "FuzzSessionSocket", name+"-raw", ours|0x80, byte(0), []byte{0}, stream)
	put(t, "engine", "FuzzSessionSocket", name+"-split", ours, byte(0), []byte{1, 7}, traffic)
}

// socketIndex is the position of typ in engine's FuzzSessionSocket list.
func socketIndex(t *testing.T, typ string) byte {
	for i, s := range []string{"PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH", "XPUB", "XSUB"} {
		if s == typ {
			return byte(i)
		}
	}
	t.Fatalf("unknown type %s", typ)
	return 0
}

// put writes one corpus file for target in package dir pkg, in the format
// of go test fuzz v1.
func put(t *testing.T, pkg, target, name string, args ...any) {
	var b strings.Builder
	b.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch v := a.(type) {
		case byte:
			fmt.Fprintf(&b, "byte('\\x%02x')\n", v)
		case []byte:
			fmt.Fprintf(&b, "[]byte(%s)\n", strconv.Quote(string(v)))
		default:
			t.Fatalf("corpus argument %T", a)
		}
	}
	dir := filepath.Join(pkg, "testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
