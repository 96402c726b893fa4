package crypto

import (
	"errors"
	"fmt"

	"github.com/azmq/azmq/frame"
)

// NameNull is the NULL mechanism's greeting name.
const NameNull = "NULL"

// null is the NULL mechanism (RFC 23 §"The NULL Security Mechanism",
// zmtp.md §7): no authentication, no encryption, one READY each way.
//
// Like libzmq we send READY as soon as the greetings are done, in both roles,
// without waiting for the peer's; the handshake is done when ours is sent and
// theirs received, so no traffic can race ahead of our READY (zmtp.md §9).
type null struct {
	cfg     Config
	started bool // our READY has been produced
	ready   bool // the peer's READY has been accepted
	peer    Metadata
	zap     zapVerdict
}

// NewNull returns a NULL mechanism for a socket described by cfg. cfg's
// slices are read during Start, not copied: keep them unchanged until then.
func NewNull(cfg Config) Mechanism {
	return &null{cfg: cfg}
}

// Name returns "NULL".
func (n *null) Name() string { return NameNull }

// AsServer is false: RFC 23 requires as-server 0 for NULL.
func (n *null) AsServer() bool { return false }

// Encrypted is false: NULL frames travel as they are.
func (n *null) Encrypted() bool { return false }

// Start appends our READY:
//
//	READY  Socket-Type=<ours>  [Identity=<routing id>]  <cfg.Props...>
//
// With a ZAP domain set and a handler present it first asks ZAP, as libzmq
// does; a refusal appends ERROR instead of READY (zap.md §5).
func (n *null) Start(dst []byte) ([]byte, error) {
	if n.started {
		return dst, errors.New("crypto: NULL Start called twice")
	}
	if err := checkConfig(&n.cfg); err != nil {
		return dst, err
	}
	n.started = true
	if n.cfg.Domain != "" && n.cfg.ZAP != nil {
		v, refusal, err := askZAP(&n.cfg, &ZAPRequest{Mechanism: NameNull}, nil)
		if err != nil {
			return append(dst, refusal...), err
		}
		n.zap = v
	}
	dst = frame.AppendCommandHeader(dst, frame.NameReady, basicPropertiesLen(&n.cfg))
	return appendBasicProperties(dst, &n.cfg), nil
}

// Next accepts exactly one READY (or an ERROR, which ends the handshake).
func (n *null) Next(dst []byte, cmd frame.Command) ([]byte, bool, error) {
	if !n.started {
		return dst, false, errors.New("crypto: NULL Next called before Start")
	}
	switch cmd.Kind {
	case frame.CmdReady:
		if n.ready {
			return dst, false, fmt.Errorf("%w: second READY", ErrHandshake)
		}
		md, err := parseMetadata(n.cfg.SocketType, cmd.Data)
		if err != nil {
			return dst, false, err
		}
		addZAPProperties(&md, n.zap)
		n.peer = md
		n.ready = true
		return dst, true, nil
	case frame.CmdError:
		reason, err := frame.ParseError(cmd.Data)
		if err != nil {
			return dst, false, fmt.Errorf("%w: %w", ErrHandshake, err)
		}
		return dst, false, fmt.Errorf("%w: %q", ErrRefused, reason)
	}
	if n.ready {
		return dst, false, fmt.Errorf("%w: %q command after READY", ErrHandshake, cmd.Name)
	}
	return dst, false, fmt.Errorf("%w: unexpected %q command, want READY", ErrHandshake, cmd.Name)
}

// Peer returns the peer's READY metadata once it has been accepted.
func (n *null) Peer() *Metadata {
	if !n.ready {
		return nil
	}
	return &n.peer
}

// Encode writes the frame as is: NULL adds nothing to traffic.
func (n *null) Encode(dst []byte, flags byte, payload []byte) ([]byte, error) {
	return frame.AppendFrame(dst, flags, payload), nil
}

// Decode is never called for NULL (Encrypted is false); a call means an
// engine bug or a peer sending MESSAGE on a NULL connection.
func (n *null) Decode(cmd frame.Command) (byte, []byte, error) {
	return 0, nil, fmt.Errorf("%w: NULL carries no %q traffic", ErrHandshake, cmd.Name)
}
