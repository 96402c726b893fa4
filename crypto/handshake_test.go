package crypto

import (
	"testing"

	"github.com/azmq/azmq/frame"
)

// splitFrames cuts concatenated wire frames into whole frames.
func splitFrames(t testing.TB, wire []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(wire) > 0 {
		h, err := frame.ParseHeader(wire)
		if err != nil || uint64(len(wire)-h.Len) < h.Size {
			t.Fatalf("torn frame in %x: %v", wire, err)
		}
		n := h.Len + int(h.Size)
		out = append(out, wire[:n])
		wire = wire[n:]
	}
	return out
}

// transcript is what one handshake put on the wire, and how it ended.
type transcript struct {
	toServer, toClient [][]byte // whole frames, in order
	clientDone         bool
	serverDone         bool
	clientErr          error
	serverErr          error
}

// handshake drives a client and a server against each other as two engines
// would, until both are done or one fails.
func handshake(t testing.TB, c, s Mechanism) transcript {
	t.Helper()
	var tr transcript
	cOut, err := c.Start(nil)
	if err != nil {
		tr.clientErr = err
		return tr
	}
	sOut, err := s.Start(nil)
	if err != nil {
		tr.serverErr = err
		return tr
	}
	for round := 0; round < 10 && (len(cOut) > 0 || len(sOut) > 0); round++ {
		toS, toC := splitFrames(t, cOut), splitFrames(t, sOut)
		cOut, sOut = nil, nil
		tr.toServer = append(tr.toServer, toS...)
		tr.toClient = append(tr.toClient, toC...)
		for _, f := range toS {
			var done bool
			sOut, done, err = s.Next(sOut, command(t, f))
			tr.serverDone = tr.serverDone || done
			if err != nil {
				tr.serverErr = err
				tr.toClient = append(tr.toClient, splitFrames(t, sOut)...)
				return tr
			}
		}
		for _, f := range toC {
			var done bool
			cOut, done, err = c.Next(cOut, command(t, f))
			tr.clientDone = tr.clientDone || done
			if err != nil {
				tr.clientErr = err
				return tr
			}
		}
	}
	return tr
}

// zapAnswer returns a ZAP function that records the request and answers
// with reply (or err).
func zapAnswer(reply ZAPReply, err error, got **ZAPRequest) ZAPFunc {
	return func(r *ZAPRequest) (ZAPReply, error) {
		if got != nil {
			c := *r
			*got = &c
		}
		return reply, err
	}
}
