package sock

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/azmq/azmq/ring"
)

// outMsg is one message a socket pushed to a peer, with its flags.
type outMsg struct {
	frames  string
	flagged bool
}

// peerRecvAll pops everything the socket sent to the peer.
func peerRecvAll(p *ring.Pipe) []outMsg {
	var out []outMsg
	var m ring.Msg
	for p.Out.Pop(&m) {
		out = append(out, outMsg{show(strs(&m)), m.Flags()&ring.Subscription != 0})
		m.Release()
	}
	return out
}

func wantOut(t *testing.T, p *ring.Pipe, want ...outMsg) {
	t.Helper()
	if got := peerRecvAll(p); !slices.Equal(got, want) {
		t.Fatalf("peer got %#v, want %#v", got, want)
	}
}

func sub(prefix string) outMsg   { return outMsg{"\x01" + prefix, true} }
func unsub(prefix string) outMsg { return outMsg{"\x00" + prefix, true} }
func data(frames string) outMsg  { return outMsg{frames, false} }

// peerSub pushes a (un)subscription from the peer, flagged as the
// transport does for a SUBSCRIBE/CANCEL command or plain as a 3.0 message.
func peerSub(t *testing.T, p *ring.Pipe, frame string, flagged bool) {
	t.Helper()
	m := mkMsg(frame)
	if flagged {
		m.SetFlags(ring.Subscription)
	}
	if err := p.In.Push(m); err != nil {
		t.Fatal(err)
	}
}

func subscriber(t *testing.T, s Socket) Subscriber {
	t.Helper()
	sb, ok := s.(Subscriber)
	if !ok {
		t.Fatalf("%T is not a Subscriber", s)
	}
	return sb
}

func TestSubCountsSubscriptions(t *testing.T) {
	s := newSocket(t, Sub, Options{})
	sb := subscriber(t, s)
	p := attach(t, s, 1, 10, "")
	// Subscriptions are pushed past the HWM of 1.
	sb.Subscribe([]byte("a"))
	sb.Subscribe([]byte("a"))
	sb.Subscribe(nil)
	wantOut(t, p, sub("a"), sub("a"), sub(""))
	sb.Unsubscribe([]byte("a"))
	wantOut(t, p)
	sb.Unsubscribe([]byte("zz")) // not subscribed: nothing
	wantOut(t, p)
	sb.Unsubscribe([]byte("a"))
	wantOut(t, p, unsub("a"))
	// A new peer gets one subscribe per distinct prefix.
	sb.Subscribe([]byte("b"))
	sb.Subscribe([]byte("b"))
	wantOut(t, p, sub("b"), sub("b"))
	q := attach(t, s, 10, 10, "")
	wantOut(t, q, sub(""), sub("b"))
	// And so does a reconnected one.
	p.Hiccup()
	wantOut(t, p, sub(""), sub("b"))
	wantOut(t, q)
	if err := s.Send(context.Background(), mkMsg("x")); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("SUB Send = %v", err)
	}
	detach(s, q)
	q.Hiccup() // nothing after Detach
	sb.Subscribe([]byte("c"))
	wantOut(t, p, sub("c"))
}

func TestSubFilters(t *testing.T) {
	s := newSocket(t, Sub, Options{})
	sb := subscriber(t, s)
	p := attach(t, s, 10, 10, "")
	peerSend(t, p, "nothing yet")
	wantRecvBlocks(t, s)
	sb.Subscribe([]byte("ab"))
	sb.Subscribe([]byte("x"))
	peerSend(t, p, "a", "1")
	peerSend(t, p, "abc", "2")
	peerSend(t, p, "b")
	peerSend(t, p, "x")
	peerSend(t, p, "", "x")
	wantRecv(t, s, "abc", "2")
	wantRecv(t, s, "x")
	wantRecvBlocks(t, s)
	sb.Subscribe(nil)
	peerSend(t, p, "")
	peerSend(t, p, "q")
	wantRecv(t, s, "")
	wantRecv(t, s, "q")
}

func TestSubInvert(t *testing.T) {
	s := newSocket(t, Sub, Options{InvertMatching: true})
	subscriber(t, s).Subscribe([]byte("a"))
	p := attach(t, s, 10, 10, "")
	wantOut(t, p, sub("a"))
	peerSend(t, p, "ab")
	peerSend(t, p, "ba")
	wantRecv(t, s, "ba")
	wantRecvBlocks(t, s)
}

func TestSubRecvBlocksUntilMatch(t *testing.T) {
	checkLeaks(t)
	s := newSocket(t, Sub, Options{})
	subscriber(t, s).Subscribe([]byte("y"))
	p := attach(t, s, 10, 10, "")
	c := async(func() error {
		var m ring.Msg
		defer m.Release()
		if err := s.Recv(context.Background(), &m); err != nil {
			return err
		}
		if show(strs(&m)) != "yes" {
			return errors.New("got " + show(strs(&m)))
		}
		return nil
	})
	peerSend(t, p, "no")
	wantPending(t, c)
	peerSend(t, p, "yes")
	if err := wantDone(t, c); err != nil {
		t.Fatal(err)
	}
	c = async(func() error { var m ring.Msg; return s.Recv(context.Background(), &m) })
	wantPending(t, c)
	s.Close()
	if err := wantDone(t, c); !errors.Is(err, ErrClosed) {
		t.Fatalf("Recv after Close = %v", err)
	}
	if err := subscriber(t, s).Subscribe([]byte("z")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Subscribe after Close = %v", err)
	}
}

func TestPubSetPerPipe(t *testing.T) {
	s := newSocket(t, Pub, Options{})
	a := attach(t, s, 10, 10, "")
	b := attach(t, s, 10, 10, "")
	c := attach(t, s, 10, 10, "")
	send(t, s, "nobody") // no subscriptions: nothing goes out
	wantOut(t, a)
	peerSub(t, a, "\x01ab", true)
	peerSub(t, a, "\x01ab", false) // same prefix again: a set
	peerSub(t, a, "\x01a", false)  // a is sent each message once
	peerSub(t, b, "\x01", true)    // everything
	peerSend(t, b, "data from a subscriber")
	peerSub(t, c, "\x01x", true)
	send(t, s, "abc", "1")
	send(t, s, "b", "2")
	send(t, s, "xy")
	wantOut(t, a, data("abc|1"))
	wantOut(t, b, data("abc|1"), data("b|2"), data("xy"))
	wantOut(t, c, data("xy"))
	peerSub(t, a, "\x00ab", false) // one cancel removes the doubled one
	peerSub(t, a, "\x00a", true)
	send(t, s, "abc")
	wantOut(t, a)
	var m ring.Msg
	if err := s.Recv(context.Background(), &m); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("PUB Recv = %v", err)
	}
	if err := subscriber(t, s).Subscribe([]byte("a")); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("PUB Subscribe = %v", err)
	}
	detach(s, b)
	send(t, s, "zz")
	send(t, s, "xx")
	wantOut(t, c, data("xx"))
}

func TestPubFanOutSharesBuffers(t *testing.T) {
	s := newSocket(t, Pub, Options{})
	const n = 5
	var pipes []*ring.Pipe
	for i := 0; i < n; i++ {
		p := attach(t, s, 10, 10, "")
		peerSub(t, p, "\x01t", true)
		pipes = append(pipes, p)
	}
	b0, b1 := ring.NewBuffer(3), ring.NewBuffer(4)
	copy(b0.Bytes(), "top")
	copy(b1.Bytes(), "body")
	b0.Ref()
	b1.Ref() // keep our own reference to watch the count
	var m ring.Msg
	m.AppendFrame(ring.OwnedFrame(b0, b0.Bytes()))
	m.AppendFrame(ring.OwnedFrame(b1, b1.Bytes()))
	if err := s.Send(context.Background(), &m); err != nil {
		t.Fatal(err)
	}
	if m.Len() != 0 {
		t.Fatal("Send left frames in m")
	}
	if b0.Refs() != n+1 || b1.Refs() != n+1 {
		t.Fatalf("refs = %d, %d, want %d", b0.Refs(), b1.Refs(), n+1)
	}
	for _, p := range pipes {
		var r ring.Msg
		if !p.Out.Pop(&r) || &r.Frame(0)[0] != &b0.Bytes()[0] || &r.Frame(1)[0] != &b1.Bytes()[0] {
			t.Fatal("frame not shared")
		}
		r.Release()
	}
	if b0.Refs() != 1 || b1.Refs() != 1 {
		t.Fatalf("refs after release = %d, %d", b0.Refs(), b1.Refs())
	}
	b0.Unref()
	b1.Unref()
}

func TestPubHWMDropsNeverBlocks(t *testing.T) {
	var cnt Counters
	s := newSocket(t, Pub, Options{Counters: &cnt})
	slow := attach(t, s, 2, 10, "")
	fast := attach(t, s, 100, 10, "")
	peerSub(t, slow, "\x01", true)
	peerSub(t, fast, "\x01", true)
	for i := 0; i < 5; i++ {
		send(t, s, string(rune('a'+i)))
	}
	wantOut(t, slow, data("a"), data("b"))
	if got := len(peerRecvAll(fast)); got != 5 {
		t.Fatalf("fast got %d", got)
	}
	if cnt.HWMDrops.Load() != 3 {
		t.Fatalf("HWMDrops = %d", cnt.HWMDrops.Load())
	}
	send(t, s, "f")
	wantOut(t, slow, data("f"))
	// A gone pipe not yet detached takes nothing and costs nothing.
	slow.SetGone()
	send(t, s, "g")
	wantOut(t, fast, data("f"), data("g"))
}

func TestPubInvert(t *testing.T) {
	s := newSocket(t, Pub, Options{InvertMatching: true})
	a := attach(t, s, 10, 10, "")
	b := attach(t, s, 10, 10, "")
	peerSub(t, a, "\x01a", true)
	send(t, s, "ab")
	send(t, s, "ba")
	wantOut(t, a, data("ba"))
	wantOut(t, b, data("ab"), data("ba"))
}

// drainXPub receives everything an XPUB has for its application.
func drainXPub(t *testing.T, s Socket) []string {
	t.Helper()
	var out []string
	for {
		ctx, cancel := context.WithTimeout(context.Background(), blockedFor)
		var m ring.Msg
		err := s.Recv(ctx, &m)
		cancel()
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatal(err)
			}
			return out
		}
		if m.Flags() != 0 {
			t.Fatalf("XPUB Recv gave flags %v", m.Flags())
		}
		out = append(out, show(strs(&m)))
		m.Release()
	}
}

func wantXPub(t *testing.T, s Socket, want ...string) {
	t.Helper()
	if got := drainXPub(t, s); !slices.Equal(got, want) {
		t.Fatalf("XPUB Recv %q, want %q", got, want)
	}
}

func TestXPubNotifications(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts Options
		want []string
		det  []string
	}{
		{"default", Options{}, []string{"\x01a", "\x01b", "data", "\x00b"}, []string{"\x00a"}},
		{"verbose", Options{XPubVerbose: true}, []string{"\x01a", "\x01a", "\x01a", "\x01b", "data", "\x00b"}, []string{"\x00a"}},
		{"verboser", Options{XPubVerboser: true}, []string{"\x01a", "\x01a", "\x01a", "\x01b", "data", "\x00a", "\x00b"},
			[]string{"\x00a"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newSocket(t, XPub, tt.opts)
			p := attach(t, s, 10, 10, "")
			q := attach(t, s, 10, 10, "")
			peerSub(t, p, "\x01a", true)
			peerSub(t, q, "\x01a", false)
			peerSub(t, q, "\x01a", true) // q holds it already
			peerSub(t, q, "\x01b", true)
			peerSend(t, q, "data")
			peerSub(t, q, "\x00a", true) // p still holds it
			peerSub(t, q, "\x00b", false)
			wantXPub(t, s, tt.want...)
			send(t, s, "ab")
			wantOut(t, p, data("ab"))
			wantOut(t, q)
			detach(s, q)
			wantXPub(t, s)
			detach(s, p)
			wantXPub(t, s, tt.det...)
		})
	}
}

func TestXPubDetachUnsubscribes(t *testing.T) {
	s := newSocket(t, XPub, Options{})
	p := attach(t, s, 10, 10, "")
	q := attach(t, s, 10, 10, "")
	peerSub(t, p, "\x01a", true)
	peerSub(t, p, "\x01b", true)
	peerSub(t, q, "\x01b", true)
	wantXPub(t, s, "\x01a", "\x01b")
	// Blocked Recv is woken by the detach.
	c := async(func() error {
		var m ring.Msg
		defer m.Release()
		if err := s.Recv(context.Background(), &m); err != nil {
			return err
		}
		if show(strs(&m)) != "\x00a" {
			return errors.New("got " + show(strs(&m)))
		}
		return nil
	})
	wantPending(t, c)
	detach(s, p)
	if err := wantDone(t, c); err != nil {
		t.Fatal(err)
	}
	wantXPub(t, s)
	send(t, s, "b")
	wantOut(t, q, data("b"))
	detach(s, q)
	wantXPub(t, s, "\x00b")
}

func TestXPubRecvWokenBySubscription(t *testing.T) {
	checkLeaks(t)
	s := newSocket(t, XPub, Options{})
	p := attach(t, s, 10, 10, "")
	c := async(func() error {
		var m ring.Msg
		defer m.Release()
		return s.Recv(context.Background(), &m)
	})
	wantPending(t, c)
	peerSub(t, p, "\x01z", true)
	if err := wantDone(t, c); err != nil {
		t.Fatal(err)
	}
	c = async(func() error { var m ring.Msg; return s.Recv(context.Background(), &m) })
	wantPending(t, c)
	s.Close()
	if err := wantDone(t, c); !errors.Is(err, ErrClosed) {
		t.Fatalf("Recv after Close = %v", err)
	}
	if err := s.Send(context.Background(), mkMsg("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after Close = %v", err)
	}
}

func TestXPubManual(t *testing.T) {
	s := newSocket(t, XPub, Options{XPubManual: true})
	sb := subscriber(t, s)
	p := attach(t, s, 10, 10, "")
	q := attach(t, s, 10, 10, "")
	peerSub(t, p, "\x01a", true)
	peerSub(t, p, "\x01a", true)
	send(t, s, "a1") // nothing applied yet
	wantOut(t, p)
	wantRecv(t, s, "\x01a")
	sb.Subscribe([]byte("a")) // to p
	wantRecv(t, s, "\x01a")
	peerSub(t, q, "\x01b", true)
	wantRecv(t, s, "\x01b")
	sb.Subscribe([]byte("x")) // to q, whatever it asked for
	send(t, s, "a2")
	send(t, s, "b2")
	send(t, s, "x2")
	wantOut(t, p, data("a2"))
	wantOut(t, q, data("x2"))
	peerSub(t, p, "\x00a", true)
	send(t, s, "a3") // not applied until the application says so
	wantOut(t, p, data("a3"))
	wantRecv(t, s, "\x00a")
	sb.Unsubscribe([]byte("a"))
	send(t, s, "a4")
	wantOut(t, p)
	detach(s, q)
	wantXPub(t, s, "\x00b")
	if err := subscriber(t, newSocket(t, XPub, Options{})).Subscribe([]byte("a")); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("Subscribe on non-manual XPUB = %v", err)
	}
}

func TestXPubWelcomeAndInvert(t *testing.T) {
	s := newSocket(t, XPub, Options{XPubWelcome: []byte("hello"), InvertMatching: true})
	p := attach(t, s, 1, 10, "")
	q := attach(t, s, 10, 10, "")
	wantOut(t, p, data("hello"))
	wantOut(t, q, data("hello"))
	peerSub(t, p, "\x01a", true)
	send(t, s, "ab")
	send(t, s, "cd")
	wantOut(t, p, data("cd"))
	wantOut(t, q, data("ab"), data("cd"))
}

func TestXSub(t *testing.T) {
	var cnt Counters
	s := newSocket(t, XSub, Options{Counters: &cnt})
	sb := subscriber(t, s)
	p := attach(t, s, 2, 10, "")
	send(t, s, "\x01a")
	send(t, s, "\x01a")
	send(t, s, "\x01b", "extra")
	sb.Subscribe([]byte("c"))
	// As written, unflagged, past the HWM; the own Subscribe flagged.
	wantOut(t, p, data("\x01a"), data("\x01a"), data("\x01b|extra"), sub("c"))
	send(t, s, "\x00a") // count 1 left: not forwarded
	send(t, s, "\x00zz")
	wantOut(t, p)
	send(t, s, "\x00a")
	wantOut(t, p, data("\x00a"))
	send(t, s, "hello", "xpub")
	send(t, s, "d2")
	send(t, s, "d3") // full: dropped
	wantOut(t, p, data("hello|xpub"), data("d2"))
	if cnt.HWMDrops.Load() != 1 {
		t.Fatalf("HWMDrops = %d", cnt.HWMDrops.Load())
	}
	q := attach(t, s, 10, 10, "")
	wantOut(t, q, sub("b"), sub("c"))
	p.Hiccup()
	wantOut(t, p, sub("b"), sub("c"))
	sb.Unsubscribe([]byte("b"))
	wantOut(t, q, unsub("b"))
	// Receives everything, unfiltered, fair-queued.
	peerSend(t, p, "p1")
	peerSend(t, p, "p2")
	peerSend(t, q, "q1")
	wantRecv(t, s, "p1")
	wantRecv(t, s, "q1")
	wantRecv(t, s, "p2")
}

func TestPubSubOverPipePair(t *testing.T) {
	pub := newSocket(t, Pub, Options{})
	subS := newSocket(t, Sub, Options{})
	a, b := ring.NewPipePair(100, 100)
	if err := pub.Attach(a); err != nil {
		t.Fatal(err)
	}
	if err := subS.Attach(b); err != nil {
		t.Fatal(err)
	}
	subscriber(t, subS).Subscribe([]byte("w"))
	send(t, pub, "weather")
	send(t, pub, "news")
	send(t, pub, "wind")
	wantRecv(t, subS, "weather")
	wantRecv(t, subS, "wind")
	wantRecvBlocks(t, subS)
}

func TestPubSubConcurrent(t *testing.T) {
	checkLeaks(t)
	pub := newSocket(t, XPub, Options{XPubVerboser: true})
	subS := newSocket(t, Sub, Options{})
	const n = 2000
	a, b := ring.NewPipePair(0, 0)
	if err := pub.Attach(a); err != nil {
		t.Fatal(err)
	}
	if err := subS.Attach(b); err != nil {
		t.Fatal(err)
	}
	sb := subscriber(t, subS)
	sb.Subscribe([]byte("m"))
	ctx := ctxT(t)
	done := make(chan error, 4)
	for g := 0; g < 2; g++ {
		go func() {
			for i := 0; i < n; i++ {
				if err := pub.Send(ctx, mkMsg("m")); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	go func() { // subscription churn while messages flow
		for i := 0; i < n/10; i++ {
			sb.Subscribe([]byte("x"))
			b.Hiccup()
			sb.Unsubscribe([]byte("x"))
		}
		done <- nil
	}()
	go func() { // an XPUB application reading notifications
		for {
			var m ring.Msg
			c, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			err := pub.Recv(c, &m)
			cancel()
			m.Release()
			if err != nil {
				done <- nil
				return
			}
		}
	}()
	for i := 0; i < 4; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	// The first "m" sends may precede the subscription's arrival; all later
	// ones arrive, and nothing else.
	got := 0
	for {
		c, cancel := context.WithTimeout(ctx, blockedFor)
		var m ring.Msg
		err := subS.Recv(c, &m)
		cancel()
		if err != nil {
			break
		}
		if show(strs(&m)) != "m" {
			t.Fatalf("got %q", strs(&m))
		}
		m.Release()
		got++
	}
	if got == 0 || got > 2*n {
		t.Fatalf("got %d messages", got)
	}
}
