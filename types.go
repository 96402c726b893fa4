package azmq

import (
	"github.com/azmq/azmq/ring"
	"github.com/azmq/azmq/sock"
)

// Type is a socket type, numbered as libzmq numbers them.
type Type = sock.Type

// Socket types.
const (
	Pair   = sock.Pair
	Pub    = sock.Pub
	Sub    = sock.Sub
	Req    = sock.Req
	Rep    = sock.Rep
	Dealer = sock.Dealer
	Router = sock.Router
	Pull   = sock.Pull
	Push   = sock.Push
	XPub   = sock.XPub
	XSub   = sock.XSub
)

// Msg is a multipart message for the zero-copy calls SendMsg and RecvMsg.
//
// Ownership: SendMsg takes over the frames of the Msg it is given and leaves
// it empty; slices added with Append must not be modified afterwards. After
// RecvMsg the frames are views into pooled buffers, valid until Release or
// the next RecvMsg into the same Msg; copy what must live longer. A Msg must
// not be copied by value while it holds frames.
type Msg = ring.Msg
