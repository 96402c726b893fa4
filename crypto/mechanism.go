package crypto

import (
	"errors"
	"fmt"

	"github.com/azmq/azmq/frame"
)

// Handshake errors; all are connection-fatal. Test with errors.Is.
var (
	// ErrHandshake reports a protocol violation during the handshake: an
	// unexpected command, a malformed READY, a second READY, ...
	ErrHandshake = errors.New("crypto: handshake failed")
	// ErrRefused reports that the peer sent ERROR; the message carries the
	// quoted reason. libzmq never reconnects after one (zmtp.md §8).
	ErrRefused = errors.New("crypto: peer refused the handshake")
	// ErrSocketType reports a peer whose Socket-Type may not talk to ours
	// (zmtp.md §13).
	ErrSocketType = errors.New("crypto: incompatible socket type")
	// ErrAuth reports a peer that ZAP (or a mechanism's own check, such as
	// a CURVE client with the wrong server key) did not let in. libzmq
	// reports it as a handshake failure of kind "auth".
	ErrAuth = errors.New("crypto: authentication failed")
)

// Metadata is what a peer declared in its handshake. It owns its bytes:
// they were copied out of the read buffer, which the engine reuses.
type Metadata struct {
	SocketType string           // the peer's Socket-Type, "" if it sent none
	Identity   []byte           // the peer's Identity (routing id); nil if it sent none
	Props      []frame.Property // every property in wire order, Socket-Type and Identity included
}

// Get returns the value of the first property called name, compared
// case-insensitively (RFC 23 §"Metadata"); first wins, as in libzmq's
// zmq_msg_gets.
func (m *Metadata) Get(name string) ([]byte, bool) {
	for _, p := range m.Props {
		if frame.EqualFoldName(p.Name, name) {
			return p.Value, true
		}
	}
	return nil, false
}

// Config is what a mechanism needs from the socket.
type Config struct {
	SocketType string           // our type, "REQ", "DEALER", ...; sent as Socket-Type
	Identity   []byte           // our routing id; sent only by REQ, DEALER and ROUTER (zmtp.md §6)
	Props      []frame.Property // extra application metadata (X-... names), sent in order; may be nil

	// ZAP answers the authentication requests of a security server; nil
	// means no handler (zap.md §4 says what each mechanism does then).
	// It is called synchronously from Start or Next: a slow handler stalls
	// the goroutine that drives the connection.
	ZAP ZAPFunc
	// Domain is the ZAP domain (ZMQ_ZAP_DOMAIN). NULL consults ZAP only
	// when it is set; PLAIN and CURVE servers send it in every request.
	Domain string
	// PeerAddress is the remote IP without port, the ZAP request's address.
	PeerAddress string
}

// Mechanism is one side of a security handshake and the per-frame hook
// that follows it. It is not safe for concurrent use: the engine that owns
// the connection drives it.
type Mechanism interface {
	// Name returns the mechanism name for the greeting ("NULL").
	Name() string
	// AsServer returns the greeting's as-server flag.
	AsServer() bool
	// Start appends the frames to send once the peer's greeting has been
	// accepted (NULL: our READY). It is called exactly once, before Next.
	Start(dst []byte) ([]byte, error)
	// Next consumes one command received during the handshake and appends
	// any reply frames to dst. done reports that the handshake is complete on
	// our side (NULL: READY sent and READY received); only then may traffic
	// be sent (zmtp.md §9). An ERROR from the peer returns ErrRefused wrapped
	// with the reason. cmd is only read during the call.
	Next(dst []byte, cmd frame.Command) (out []byte, done bool, err error)
	// Peer returns the peer's metadata; nil until Next has reported done.
	Peer() *Metadata
	// Encrypted reports whether traffic frames pass through Encode and
	// Decode (NULL: false; CURVE: true, every frame becomes a MESSAGE).
	Encrypted() bool
	// Encode appends the wire form of one traffic frame; flags holds the
	// MORE and COMMAND bits of the frame.
	Encode(dst []byte, flags byte, payload []byte) ([]byte, error)
	// Decode turns one received traffic command (CURVE: MESSAGE) into the
	// inner frame's flags and payload, decrypting in place where possible.
	Decode(cmd frame.Command) (flags byte, payload []byte, err error)
}

// ParseHandshakeCommand decodes a command body received during a
// handshake. Besides what frame.ParseCommand accepts it recognises the
// ERROR that libzmq's PLAIN server sends without its name-length byte,
// 5e 'RROR' reason-len reason (mechanisms.md §3.6), as an ERROR.
func ParseHandshakeCommand(body []byte) (frame.Command, error) {
	const quirk = "\x5eRROR"
	if len(body) > len(quirk) && string(body[:len(quirk)]) == quirk {
		return frame.Command{Kind: frame.CmdError, Name: []byte(frame.NameError), Data: body[len(quirk):]}, nil
	}
	return frame.ParseCommand(body)
}

// sendsIdentity reports whether libzmq would put Identity in this socket
// type's metadata (mechanism.cpp add_basic_properties, zmtp.md §6).
func sendsIdentity(socketType string) bool {
	switch socketType {
	case "REQ", "DEALER", "ROUTER":
		return true
	}
	return false
}

// basicPropertiesLen returns the length of the metadata appendBasicProperties writes.
func basicPropertiesLen(cfg *Config) int {
	n := frame.PropertyLen(frame.PropSocketType, len(cfg.SocketType))
	if sendsIdentity(cfg.SocketType) {
		n += frame.PropertyLen(frame.PropIdentity, len(cfg.Identity))
	}
	for _, p := range cfg.Props {
		n += frame.PropertyLen(string(p.Name), len(p.Value))
	}
	return n
}

// appendBasicProperties appends our metadata in libzmq's order: Socket-Type,
// Identity (REQ/DEALER/ROUTER only, even when empty), then cfg.Props as given.
func appendBasicProperties(dst []byte, cfg *Config) []byte {
	dst = frame.AppendProperty(dst, frame.PropSocketType, []byte(cfg.SocketType))
	if sendsIdentity(cfg.SocketType) {
		dst = frame.AppendProperty(dst, frame.PropIdentity, cfg.Identity)
	}
	for _, p := range cfg.Props {
		dst = frame.AppendProperty(dst, string(p.Name), p.Value)
	}
	return dst
}

// checkConfig rejects what the frame encoders would panic on: a bad Config
// comes from the application, so it gets an error, not a crash.
func checkConfig(cfg *Config) error {
	if cfg.SocketType == "" {
		return errors.New("crypto: config has no socket type")
	}
	if len(cfg.Identity) > 255 {
		return fmt.Errorf("crypto: identity is %d bytes, limit 255", len(cfg.Identity))
	}
	for _, p := range cfg.Props {
		if len(p.Name) == 0 || len(p.Name) > 255 {
			return fmt.Errorf("crypto: metadata name %q must be 1..255 bytes", p.Name)
		}
		if uint64(len(p.Value)) > frame.MaxValueLen {
			return fmt.Errorf("crypto: metadata %q value above 2^31-1 bytes", p.Name)
		}
	}
	return nil
}

// parseMetadata validates a peer's metadata block, checks its Socket-Type
// against ours and returns an owned copy. One copy of the block backs every
// Name, Value and Identity, so the cost is two allocations plus the
// SocketType string, whatever the number of properties.
func parseMetadata(ours string, block []byte) (Metadata, error) {
	var md Metadata
	count := 0
	it := frame.NewMetadataIter(block)
	for it.Next() {
		count++
	}
	if err := it.Err(); err != nil {
		return Metadata{}, fmt.Errorf("%w: peer metadata: %w", ErrHandshake, err)
	}
	if count == 0 {
		return md, nil
	}
	own := make([]byte, len(block))
	copy(own, block)
	md.Props = make([]frame.Property, 0, count)
	sawType := false
	it = frame.NewMetadataIter(own)
	for it.Next() {
		p := it.Property()
		md.Props = append(md.Props, p)
		switch {
		case frame.EqualFoldName(p.Name, frame.PropSocketType):
			// libzmq checks every Socket-Type it finds; so do we.
			if !Compatible(ours, string(p.Value)) {
				return Metadata{}, fmt.Errorf("%w: we are %s, peer is %q", ErrSocketType, ours, p.Value)
			}
			if !sawType {
				md.SocketType = string(p.Value)
				sawType = true
			}
		case frame.EqualFoldName(p.Name, frame.PropIdentity):
			// The last one wins, as libzmq's set_peer_routing_id overwrites.
			md.Identity = p.Value
		}
	}
	return md, nil
}
