package crypto

import (
	"errors"
	"testing"

	"github.com/azmq/azmq/frame"
)

// FuzzNullHandshake feeds one arbitrary command body to a fresh NULL
// mechanism: it must never panic, and a success must leave consistent,
// owned metadata.
func FuzzNullHandshake(f *testing.F) {
	for _, s := range []string{libzmqRouterReady, libzmqDealerABCReady, libzmqSubReady, libzmqError400} {
		f.Add(unhex(f, s)[2:])
	}
	_, ours := start(f, Config{SocketType: "DEALER", Identity: []byte("id"),
		Props: []frame.Property{{Name: []byte("X-A"), Value: []byte("b")}}})
	f.Add(ours[2:])
	f.Add([]byte("\x05READY"))
	f.Add([]byte("\x05READY\x05"))
	f.Add([]byte("\x05HELLO"))
	f.Fuzz(func(t *testing.T, body []byte) {
		cmd, err := frame.ParseCommand(body)
		if err != nil {
			return
		}
		m := NewNull(Config{SocketType: "DEALER"})
		if _, err := m.Start(nil); err != nil {
			t.Fatal(err)
		}
		out, done, err := m.Next(nil, cmd)
		if len(out) != 0 {
			t.Fatalf("NULL replied %x", out)
		}
		if err != nil {
			if done || m.Peer() != nil {
				t.Fatal("error with done or peer")
			}
			if !errors.Is(err, ErrHandshake) && !errors.Is(err, ErrRefused) && !errors.Is(err, ErrSocketType) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if !done || cmd.Kind != frame.CmdReady {
			t.Fatalf("success without done on %v", cmd.Kind)
		}
		p := m.Peer()
		if p.SocketType != "" && !Compatible("DEALER", p.SocketType) {
			t.Fatalf("accepted peer %q", p.SocketType)
		}
		// The metadata is owned: wiping the input must not change it.
		before := p.SocketType + "|" + string(p.Identity)
		var vals []string
		for _, pr := range p.Props {
			vals = append(vals, string(pr.Name)+"="+string(pr.Value))
		}
		clear(body)
		after := p.SocketType + "|" + string(p.Identity)
		for i, pr := range p.Props {
			if vals[i] != string(pr.Name)+"="+string(pr.Value) {
				t.Fatal("property aliased the input")
			}
		}
		if before != after {
			t.Fatal("metadata aliased the input")
		}
	})
}
