package ring

import (
	"testing"

	"github.com/azmq/azmq/frame"
)

func TestMetaProperty(t *testing.T) {
	md := NewMeta("127.0.0.1:5555", []frame.Property{
		{Name: []byte("Socket-Type"), Value: []byte("DEALER")},
		{Name: []byte("Identity"), Value: []byte("abc")},
		{Name: []byte("X-Extra"), Value: []byte("1")},
	})
	ipc := NewMeta("/tmp/s", nil)
	tests := []struct {
		md   *Meta
		name string
		want string
		ok   bool
	}{
		{md, "Socket-Type", "DEALER", true},
		{md, "socket-type", "DEALER", true},
		{md, "IDENTITY", "abc", true},
		{md, "X-Extra", "1", true},
		{md, "User-Id", "", false},
		{md, "Peer-Address", "127.0.0.1", true}, // libzmq: the IP alone
		{ipc, "peer-address", "/tmp/s", true},
		{nil, "Socket-Type", "", false},
		{NewMeta("", nil), "Peer-Address", "", false},
	}
	for _, tt := range tests {
		got, ok := tt.md.Property(tt.name)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Property(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestQueueStampsMeta(t *testing.T) {
	q := NewQueue(0)
	var m Msg
	m.Append([]byte("before"))
	q.Push(&m)
	md := NewMeta("a", nil)
	q.SetMeta(md)
	m.Append([]byte("after"))
	q.PushForce(&m)
	q.Pop(&m)
	if m.Meta() != nil {
		t.Fatal("a message pushed before SetMeta carries the meta")
	}
	q.Pop(&m)
	if m.Meta() != md || m.PeerAddress() != "a" {
		t.Fatal("a message pushed after SetMeta lacks it")
	}
	var c Msg
	m.Clone(&c)
	if c.Meta() != md {
		t.Fatal("Clone dropped the meta")
	}
	c.Release()
	m.Release()
}

func TestQueueConflate(t *testing.T) {
	q := NewQueue(2)
	q.SetConflate(true)
	var bufs []*Buffer
	for i := range 5 {
		b := NewBuffer(1)
		b.Bytes()[0] = byte('0' + i)
		bufs = append(bufs, b)
		var m Msg
		m.AppendFrame(OwnedFrame(b, b.Bytes()))
		if err := q.Push(&m); err != nil {
			t.Fatalf("Push %d: %v (conflate ignores the high-water mark)", i, err)
		}
	}
	if q.Len() != 1 {
		t.Fatalf("Len %d, want 1", q.Len())
	}
	var sub Msg
	sub.Append([]byte("\x01sub"))
	q.PushForce(&sub) // kept: never replaced
	var m Msg
	m.Append([]byte("5"))
	q.Push(&m)
	want := []string{"5", "\x01sub"}
	for _, w := range want {
		if !q.Pop(&m) || string(m.Frame(0)) != w {
			t.Fatalf("popped %q, want %q", m.Frames(nil), w)
		}
	}
	if q.Pop(&m) {
		t.Fatal("more than the newest message and the forced one")
	}
	m.Release()
	// The replaced messages were released: each buffer went back (a fresh
	// buffer from the pool may be any of them, so only count references).
	for i, b := range bufs {
		if r := b.Refs(); r > 1 {
			t.Errorf("buffer %d has %d references", i, r)
		}
	}
	// After the conflated message is popped, the next Push queues again.
	m.Append([]byte("6"))
	q.Push(&m)
	m.Append([]byte("7"))
	q.Push(&m)
	if q.Len() != 1 || !q.Pop(&m) || string(m.Frame(0)) != "7" {
		t.Fatal("conflation stopped after a pop")
	}
	m.Release()
}
