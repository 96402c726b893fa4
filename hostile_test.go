package azmq_test

// Hostile peers (zmtp.md §2, §4, §7, §13, §15): a raw TCP connection breaks
// ZMTP against a socket that already has a good azmq peer. Each case checks
// that we close the bad connection, and only it: the good peer, which has
// reconnection disabled, goes on exchanging messages on the same connection,
// and nothing from the bad peer is delivered.

import (
	"encoding/binary"
	"errors"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/azmq/azmq"
	"github.com/azmq/azmq/frame"
)

// nullGreeting is our own 64-byte ZMTP 3.1 NULL greeting (zmtp.md §2).
var nullGreeting = frame.AppendGreeting(nil, "NULL", false)

// ready returns a NULL READY command announcing socketType (zmtp.md §7).
func ready(socketType string) []byte {
	return frame.AppendCommand(nil, "READY", frame.AppendProperty(nil, "Socket-Type", []byte(socketType)))
}

// cat concatenates byte slices.
func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// longHeader is a data frame header with an 8-byte size (zmtp.md §4).
func longHeader(flags byte, size uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{flags | frame.FlagLong}, size)
}

type hostileCase struct {
	name   string
	target azmq.Type // ROUTER (good peer a DEALER) or PULL (good peer a PUSH)
	opts   []azmq.Option
	send   []byte // what the raw peer writes
	// closeWrite half-closes the raw connection after writing.
	closeWrite bool
	// minClose is how long we should keep the connection open at least.
	minClose time.Duration
}

var hostileCases = []hostileCase{
	{name: "signature_head_0x00", target: azmq.Router,
		send: cat([]byte{0x00}, nullGreeting[1:])},
	{name: "signature_tail_bit0_clear", target: azmq.Pull,
		send: cat(nullGreeting[:9], []byte{0x7e}, nullGreeting[10:])},
	{name: "zmtp_2.0_greeting", target: azmq.Router,
		// signature, revision 01 (ZMTP/2.0), socket type 5 (DEALER), empty identity
		send: []byte{0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0x01, 0x05, 0x00, 0x00}},
	{name: "zmtp_3.0_major_2", target: azmq.Pull,
		send: cat(nullGreeting[:10], []byte{0x02, 0x00}, nullGreeting[12:])},
	{name: "mechanism_plain", target: azmq.Router,
		send: frame.AppendGreeting(nil, "PLAIN", false)},
	{name: "mechanism_lowercase_null", target: azmq.Pull,
		send: frame.AppendGreeting(nil, "null", false)},
	{name: "data_frame_before_ready", target: azmq.Pull,
		send: cat(nullGreeting, []byte{0x00, 0x03, 'a', 'b', 'c'})},
	{name: "socket_type_push_to_router", target: azmq.Router,
		send: cat(nullGreeting, ready("PUSH"), []byte{0x00, 0x03, 'a', 'b', 'c'})},
	{name: "socket_type_pub_to_router", target: azmq.Router,
		send: cat(nullGreeting, ready("PUB"), []byte{0x00, 0x03, 'a', 'b', 'c'})},
	{name: "socket_type_lowercase_dealer", target: azmq.Router,
		send: cat(nullGreeting, ready("dealer"), []byte{0x00, 0x03, 'a', 'b', 'c'})},
	{name: "socket_type_pull_to_pull", target: azmq.Pull,
		send: cat(nullGreeting, ready("PULL"), []byte{0x00, 0x03, 'a', 'b', 'c'})},
	{name: "socket_type_name_in_lower_case", target: azmq.Pull,
		// property names are case-insensitive (zmtp.md §6): this is a PULL
		send: cat(nullGreeting, frame.AppendCommand(nil, "READY", frame.AppendProperty(nil, "socket-type", []byte("PULL"))),
			[]byte{0x00, 0x03, 'a', 'b', 'c'})},
	{name: "truncated_metadata", target: azmq.Pull,
		// READY whose Socket-Type value claims 100 bytes and has 4
		send: cat(nullGreeting, frame.AppendCommand(nil, "READY",
			[]byte{11}, []byte("Socket-Type"), []byte{0, 0, 0, 100}, []byte("PUSH")))},
	{name: "second_ready", target: azmq.Pull,
		send: cat(nullGreeting, ready("PUSH"), ready("PUSH"), []byte{0x00, 0x03, 'a', 'b', 'c'})},
	{name: "frame_longer_than_stream", target: azmq.Pull, closeWrite: true,
		// header declares 1000 bytes, 10 follow, then EOF: nothing delivered
		send: cat(nullGreeting, ready("PUSH"), longHeader(0, 1000), []byte("0123456789"))},
	{name: "multipart_cut_short", target: azmq.Pull, closeWrite: true,
		// a complete first frame with MORE, then EOF: the message is not delivered
		send: cat(nullGreeting, ready("PUSH"), []byte{0x01, 0x03, 'a', 'b', 'c'})},
	{name: "frame_above_max_msg_size", target: azmq.Router, opts: []azmq.Option{azmq.WithMaxMsgSize(1024)},
		// declared 1 MiB and no body sent: we must close on the header alone
		send: cat(nullGreeting, ready("DEALER"), longHeader(0, 1<<20))},
	{name: "multipart_above_max_msg_size", target: azmq.Pull, opts: []azmq.Option{azmq.WithMaxMsgSize(1024)},
		// two 600-byte frames: each below the limit, the message above it
		send: cat(nullGreeting, ready("PUSH"), longHeader(frame.FlagMore, 600), make([]byte, 600),
			longHeader(0, 600), make([]byte, 600))},
	{name: "huge_frame_then_eof", target: azmq.Pull, closeWrite: true,
		// 2^62 bytes declared without a size limit, 1 MiB sent: nothing
		// allocated for the declared size, nothing delivered
		send: cat(nullGreeting, ready("PUSH"), longHeader(0, 1<<62), make([]byte, 1<<20))},
	{name: "size_with_bit_63", target: azmq.Pull,
		send: cat(nullGreeting, ready("PUSH"), longHeader(0, 1<<63))},
	{name: "huge_command_in_handshake", target: azmq.Router,
		send: cat(nullGreeting, longHeader(frame.FlagCommand, 1<<40))},
	{name: "huge_command_after_handshake", target: azmq.Pull,
		send: cat(nullGreeting, ready("PUSH"), longHeader(frame.FlagCommand, 1<<40))},
	{name: "command_with_more", target: azmq.Router,
		// flags 0x05 = COMMAND|MORE (zmtp.md §4: a strict decoder rejects it)
		send: cat(nullGreeting, ready("DEALER"), []byte{0x05, 0x03, 'a', 'b', 'c'})},
	{name: "garbage_after_handshake", target: azmq.Pull,
		send: cat(nullGreeting, ready("PUSH"), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})},
	{name: "empty_command_name", target: azmq.Pull,
		send: cat(nullGreeting, ready("PUSH"), []byte{0x04, 0x01, 0x00})},
	{name: "silent_peer", target: azmq.Router, opts: []azmq.Option{azmq.WithHandshakeTimeout(200 * time.Millisecond)},
		minClose: 150 * time.Millisecond},
	{name: "greeting_then_silence", target: azmq.Pull, opts: []azmq.Option{azmq.WithHandshakeTimeout(200 * time.Millisecond)},
		send: nullGreeting, minClose: 150 * time.Millisecond},
	{name: "half_greeting_then_silence", target: azmq.Router, opts: []azmq.Option{azmq.WithHandshakeTimeout(200 * time.Millisecond)},
		send: nullGreeting[:11], minClose: 150 * time.Millisecond},
}

func TestHostilePeer(t *testing.T) {
	for _, b := range backends {
		t.Run(b.String(), func(t *testing.T) {
			for _, tc := range hostileCases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					runHostile(t, newContext(t, b), tc)
				})
			}
		})
	}
	assertNoLeaks(t)
}

func runHostile(t *testing.T, c *azmq.Context, tc hostileCase) {
	srv := newSocket(t, c, tc.target, tc.opts...)
	addr := bindLocal(t, srv)
	goodType := azmq.Dealer
	if tc.target == azmq.Pull {
		goodType = azmq.Push
	}
	// No reconnection: if its connection were dropped, its messages would
	// stay queued and the exchange below would time out.
	good := newSocket(t, c, goodType, azmq.WithReconnectInterval(-1, 0))
	mustConnect(t, good, addr)
	var goodID []byte
	exchange := func(i int) {
		t.Helper()
		body := "good " + strconv.Itoa(i)
		mustSend(t, good, body)
		if tc.target == azmq.Pull {
			recvWant(t, srv, body)
			return
		}
		m := mustRecv(t, srv)
		if len(m) != 2 || string(m[1]) != body {
			t.Fatalf("ROUTER got %s, want [id %q]", show(m), body)
		}
		if goodID == nil {
			goodID = m[0]
		} else if string(m[0]) != string(goodID) {
			t.Fatalf("good peer's routing id changed from %x to %x: its connection was replaced", goodID, m[0])
		}
		mustSend(t, srv, string(goodID), "reply "+strconv.Itoa(i))
		recvWant(t, good, "reply "+strconv.Itoa(i))
	}
	exchange(1)

	raw, err := net.DialTimeout("tcp", hostPort(t, addr), testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	start := time.Now()
	if len(tc.send) > 0 {
		raw.SetWriteDeadline(start.Add(testTimeout))
		raw.Write(tc.send) // may fail once we have closed: that is fine
	}
	if tc.closeWrite {
		raw.(*net.TCPConn).CloseWrite()
	}
	exchange(2) // while the bad peer is connected
	elapsed := waitClosed(t, raw, 5*time.Second).Sub(start)
	if elapsed < tc.minClose {
		t.Errorf("bad connection closed after %v, before %v", elapsed, tc.minClose)
	}
	exchange(3)
	wantNothing(t, srv, 50*time.Millisecond)
}

// waitClosed reads and discards what we send until the connection ends,
// failing if it is still open after d; it returns when it ended.
func waitClosed(t *testing.T, raw net.Conn, d time.Duration) time.Time {
	t.Helper()
	raw.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 4096)
	for {
		_, err := raw.Read(buf)
		if err == nil {
			continue
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("bad connection still open after %v", d)
		}
		return time.Now() // EOF, or a reset if our close found unread input
	}
}

// TestPeerWithoutSocketType: a READY without Socket-Type is accepted, as
// libzmq accepts it (zmtp.md §6), and so are reserved flag bits and the long
// form for a short frame (zmtp.md §4).
func TestPeerWithoutSocketType(t *testing.T) {
	for _, b := range backends {
		t.Run(b.String(), func(t *testing.T) {
			c := newContext(t, b)
			pull := newSocket(t, c, azmq.Pull)
			addr := bindLocal(t, pull)
			raw, err := net.DialTimeout("tcp", hostPort(t, addr), testTimeout)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			raw.SetWriteDeadline(time.Now().Add(testTimeout))
			_, err = raw.Write(cat(nullGreeting, frame.AppendCommand(nil, "READY"),
				[]byte{0x01, 0x01, 'a'},                     // short, MORE
				longHeader(frame.FlagMore, 2), []byte("bc"), // long form for 2 bytes
				[]byte{0x80, 0x01, 'd'}, // reserved bit set, last frame
			))
			if err != nil {
				t.Fatal(err)
			}
			recvWant(t, pull, "a", "bc", "d")
		})
	}
	assertNoLeaks(t)
}
