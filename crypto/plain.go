package crypto

import (
	"errors"
	"fmt"

	"github.com/azmq/azmq/frame"
)

// NamePlain is the PLAIN mechanism's greeting name.
const NamePlain = "PLAIN"

// errNoPlainHandler is libzmq's verdict for a PLAIN server without a ZAP
// handler: every client is refused by closing, no ERROR (mechanisms.md §3.5).
var errNoPlainHandler = fmt.Errorf("%w: PLAIN server has no ZAP handler, so it refuses every client (as libzmq does)", ErrAuth)

// plain is the PLAIN mechanism (RFC 24, mechanisms.md §3), either role:
//
//	client: HELLO(user, pass) → WELCOME → INITIATE(metadata) → READY(metadata)
//	server: HELLO → ask ZAP → WELCOME | ERROR; INITIATE → READY
//
// Username and password travel in clear text; traffic is not encrypted.
type plain struct {
	cfg        Config
	server     bool
	user, pass string
	state      plainState
	peer       Metadata
	zap        zapVerdict
}

type plainState uint8

const (
	plainStart    plainState = iota // Start not called yet
	plainHello                      // server: waiting for HELLO
	plainWelcome                    // client: waiting for WELCOME
	plainInitiate                   // server: waiting for INITIATE
	plainReady                      // client: waiting for READY
	plainDone
)

// NewPlainClient returns a PLAIN client that logs in as user with pass
// (each at most 255 bytes; libzmq's ZMQ_PLAIN_USERNAME/PASSWORD).
func NewPlainClient(cfg Config, user, pass string) (Mechanism, error) {
	if len(user) > 255 || len(pass) > 255 {
		return nil, errors.New("crypto: PLAIN username and password are limited to 255 bytes")
	}
	return &plain{cfg: cfg, user: user, pass: pass}, nil
}

// NewPlainServer returns a PLAIN server (ZMQ_PLAIN_SERVER). It asks
// cfg.ZAP about every client; without a handler it refuses them all, as
// libzmq does.
func NewPlainServer(cfg Config) Mechanism {
	return &plain{cfg: cfg, server: true}
}

// Name returns "PLAIN".
func (p *plain) Name() string { return NamePlain }

// AsServer reports the configured role; libzmq ignores the flag anyway.
func (p *plain) AsServer() bool { return p.server }

// Encrypted is false: PLAIN traffic is clear text.
func (p *plain) Encrypted() bool { return false }

// Start appends the client's HELLO; the server sends nothing first.
//
//	HELLO  username-len(1) username password-len(1) password
func (p *plain) Start(dst []byte) ([]byte, error) {
	if p.state != plainStart {
		return dst, errors.New("crypto: PLAIN Start called twice")
	}
	if err := checkConfig(&p.cfg); err != nil {
		return dst, err
	}
	if p.server {
		p.state = plainHello
		return dst, nil
	}
	p.state = plainWelcome
	dst = frame.AppendCommandHeader(dst, frame.NameHello, 2+len(p.user)+len(p.pass))
	dst = append(dst, byte(len(p.user)))
	dst = append(dst, p.user...)
	dst = append(dst, byte(len(p.pass)))
	return append(dst, p.pass...), nil
}

// Next advances the handshake by one command.
func (p *plain) Next(dst []byte, cmd frame.Command) ([]byte, bool, error) {
	if cmd.Kind == frame.CmdError && !p.server && (p.state == plainWelcome || p.state == plainReady) {
		return dst, false, refusedBy(cmd)
	}
	switch p.state {
	case plainHello:
		if cmd.Kind != frame.CmdHello {
			return dst, false, unexpected(cmd, "HELLO")
		}
		user, pass, err := parsePlainHello(cmd.Data)
		if err != nil {
			return dst, false, err
		}
		v, refusal, err := askZAP(&p.cfg, &ZAPRequest{Mechanism: NamePlain,
			Credentials: [][]byte{user, pass}}, errNoPlainHandler)
		if err != nil {
			return append(dst, refusal...), false, err
		}
		p.zap = v
		p.state = plainInitiate
		return frame.AppendCommandHeader(dst, frame.NameWelcome, 0), false, nil
	case plainWelcome:
		if cmd.Kind != frame.CmdWelcome {
			return dst, false, unexpected(cmd, "WELCOME")
		}
		if len(cmd.Data) != 0 {
			return dst, false, fmt.Errorf("%w: WELCOME with %d extra bytes", ErrHandshake, len(cmd.Data))
		}
		p.state = plainReady
		dst = frame.AppendCommandHeader(dst, frame.NameInitiate, basicPropertiesLen(&p.cfg))
		return appendBasicProperties(dst, &p.cfg), false, nil
	case plainInitiate:
		if cmd.Kind != frame.CmdInitiate {
			return dst, false, unexpected(cmd, "INITIATE")
		}
		md, err := parseMetadata(p.cfg.SocketType, cmd.Data)
		if err != nil {
			return dst, false, err
		}
		addZAPProperties(&md, p.zap)
		p.peer, p.state = md, plainDone
		dst = frame.AppendCommandHeader(dst, frame.NameReady, basicPropertiesLen(&p.cfg))
		return appendBasicProperties(dst, &p.cfg), true, nil
	case plainReady:
		if cmd.Kind != frame.CmdReady {
			return dst, false, unexpected(cmd, "READY")
		}
		md, err := parseMetadata(p.cfg.SocketType, cmd.Data)
		if err != nil {
			return dst, false, err
		}
		p.peer, p.state = md, plainDone
		return dst, true, nil
	case plainStart:
		return dst, false, errors.New("crypto: PLAIN Next called before Start")
	}
	return dst, false, fmt.Errorf("%w: %q command after the handshake", ErrHandshake, cmd.Name)
}

// parsePlainHello splits HELLO's data; like libzmq it requires the data to
// be consumed exactly. The views alias data.
func parsePlainHello(data []byte) (user, pass []byte, err error) {
	if len(data) < 1 || len(data) < 1+int(data[0])+1 {
		return nil, nil, fmt.Errorf("%w: malformed PLAIN HELLO", ErrHandshake)
	}
	n := int(data[0])
	user, rest := data[1:1+n], data[1+n:]
	m := int(rest[0])
	if len(rest) != 1+m {
		return nil, nil, fmt.Errorf("%w: malformed PLAIN HELLO", ErrHandshake)
	}
	return user, rest[1:], nil
}

// refusedBy turns a received ERROR into ErrRefused with its reason.
func refusedBy(cmd frame.Command) error {
	reason, err := frame.ParseError(cmd.Data)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	return fmt.Errorf("%w: %q", ErrRefused, clip(reason))
}

// unexpected reports a command out of sequence.
func unexpected(cmd frame.Command, want string) error {
	return fmt.Errorf("%w: unexpected %q command, want %s", ErrHandshake, clip(cmd.Name), want)
}

// Peer returns the peer's metadata once the handshake is done; on a server
// that asked ZAP it starts with User-Id and the handler's properties.
func (p *plain) Peer() *Metadata {
	if p.state != plainDone {
		return nil
	}
	return &p.peer
}

// Encode writes the frame as is: PLAIN adds nothing to traffic.
func (p *plain) Encode(dst []byte, flags byte, payload []byte) ([]byte, error) {
	return frame.AppendFrame(dst, flags, payload), nil
}

// Decode is never called for PLAIN (Encrypted is false).
func (p *plain) Decode(cmd frame.Command) (byte, []byte, error) {
	return 0, nil, fmt.Errorf("%w: PLAIN carries no %q traffic", ErrHandshake, cmd.Name)
}
