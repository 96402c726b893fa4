package azmq

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/azmq/azmq/crypto"
)

// Security: a socket speaks NULL (no security) unless one of the options
// below makes it a PLAIN or CURVE client or server. The role is independent
// of Bind and Connect, as in libzmq. Both peers must use the same mechanism.
//
// Mechanisms run on tcp and ipc connections only: inproc connections never
// run one and never consult ZAP, as in libzmq.

// PublicKey is a CURVE public key; its String is the 40-character Z85 text
// libzmq's key options take.
type PublicKey = crypto.PublicKey

// SecretKey is a CURVE secret key; it prints as "SecretKey(redacted)" with
// every fmt verb, and Z85 exports it on purpose.
type SecretKey = crypto.SecretKey

// NewCurveKeypair returns a fresh CURVE key pair (zmq_curve_keypair).
func NewCurveKeypair() (PublicKey, SecretKey, error) { return crypto.NewCurveKeypair() }

// ParsePublicKey reads a CURVE public key from 40 Z85 characters or 32 raw
// bytes.
func ParsePublicKey(s string) (PublicKey, error) { return crypto.ParsePublicKey(s) }

// ParseSecretKey reads a CURVE secret key from 40 Z85 characters or 32 raw
// bytes; its errors never quote the input.
func ParseSecretKey(s string) (SecretKey, error) { return crypto.ParseSecretKey(s) }

var (
	// ErrAuth is a peer refused by ZAP (or, for PLAIN, by the absence of a
	// ZAP handler). Our side sends the peer libzmq's ERROR for statuses
	// 400 and 500 and closes the connection.
	ErrAuth = crypto.ErrAuth
	// ErrRefused is the peer refusing our handshake with ERROR; a
	// connecting socket then stops reconnecting to it, as libzmq does.
	ErrRefused = crypto.ErrRefused
	// ErrSecurity is an invalid security option given to NewSocket.
	ErrSecurity = errors.New("azmq: invalid security option")
)

// securityOptions is the socket's mechanism; the zero value is NULL.
type securityOptions struct {
	mech       string // crypto.NamePlain, crypto.NameCurve or "" (NULL)
	server     bool
	user, pass string
	serverKey  PublicKey // CURVE client: the server's public key
	public     PublicKey // CURVE client: ours
	secret     SecretKey // CURVE: ours
	domain     string
	err        error // the first invalid option
}

// fail records the first invalid security option.
func (o *securityOptions) fail(format string, args ...any) {
	if o.err == nil {
		o.err = fmt.Errorf("%w: "+format, append([]any{ErrSecurity}, args...)...)
	}
}

// WithPlainServer makes the socket a PLAIN server (ZMQ_PLAIN_SERVER): it
// asks ZAP about each client's username and password. As in libzmq, with no
// ZAP handler in the context it refuses every client.
func WithPlainServer() Option {
	return func(o *options) { o.sec.mech, o.sec.server = crypto.NamePlain, true }
}

// WithPlainClient makes the socket a PLAIN client that logs in with user
// and pass (ZMQ_PLAIN_USERNAME, ZMQ_PLAIN_PASSWORD; each at most 255 bytes),
// sent in clear text.
func WithPlainClient(user, pass string) Option {
	return func(o *options) {
		o.sec.mech, o.sec.server, o.sec.user, o.sec.pass = crypto.NamePlain, false, user, pass
		if len(user) > 255 || len(pass) > 255 {
			o.sec.fail("PLAIN username and password are limited to 255 bytes")
		}
	}
}

// WithCurveServer makes the socket a CURVE server with the long-term
// secret key secret (ZMQ_CURVE_SERVER, ZMQ_CURVE_SECRETKEY). Every client
// that knows the matching public key may connect, unless a ZAP handler in
// the context says otherwise (libzmq's behaviour).
func WithCurveServer(secret SecretKey) Option {
	return func(o *options) {
		o.sec.mech, o.sec.server, o.sec.secret = crypto.NameCurve, true, secret
		if secret.IsZero() {
			o.sec.fail("CURVE server secret key is all zeros")
		}
	}
}

// WithCurveClient makes the socket a CURVE client of the server whose
// public key is serverPublic, with the long-term key pair public/secret
// (ZMQ_CURVE_SERVERKEY, ZMQ_CURVE_PUBLICKEY, ZMQ_CURVE_SECRETKEY).
func WithCurveClient(serverPublic, public PublicKey, secret SecretKey) Option {
	return func(o *options) {
		o.sec.mech, o.sec.server = crypto.NameCurve, false
		o.sec.serverKey, o.sec.public, o.sec.secret = serverPublic, public, secret
		switch {
		case serverPublic.IsZero() || secret.IsZero():
			o.sec.fail("CURVE client keys must not be all zeros")
		case secret.Public() != public:
			// libzmq would only find out when the server rejects the vouch.
			o.sec.fail("CURVE client public key does not belong to its secret key")
		}
	}
}

// WithZAPDomain sets the ZAP domain sent in authentication requests
// (ZMQ_ZAP_DOMAIN). On a NULL socket it also turns ZAP on: NULL asks a
// handler only when a domain is set, as libzmq does.
func WithZAPDomain(domain string) Option { return func(o *options) { o.sec.domain = domain } }

// newMechanism returns the per-connection mechanism factory for a socket;
// peer is the remote "ip:port" (tcp) or path (ipc).
func (s *Socket) newMechanism(cfg crypto.Config) func(peer string) crypto.Mechanism {
	sec := s.opts.sec
	cfg.Domain = sec.domain
	zap := s.ctx.zapFunc(s.opts.handshakeTimeout)
	return func(peer string) crypto.Mechanism {
		c := cfg
		if ap, err := netip.ParseAddrPort(peer); err == nil {
			c.PeerAddress = ap.Addr().String()
		}
		c.ZAP = zap
		switch {
		case sec.mech == crypto.NamePlain && sec.server:
			return crypto.NewPlainServer(c)
		case sec.mech == crypto.NamePlain:
			m, _ := crypto.NewPlainClient(c, sec.user, sec.pass) // lengths checked by the option
			return m
		case sec.mech == crypto.NameCurve && sec.server:
			return crypto.NewCurveServer(c, sec.secret)
		case sec.mech == crypto.NameCurve:
			return crypto.NewCurveClient(c, sec.serverKey, sec.public, sec.secret)
		}
		return crypto.NewNull(c)
	}
}
