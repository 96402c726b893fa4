package crypto

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/azmq/azmq/frame"
	"golang.org/x/crypto/nacl/box"
	"golang.org/x/crypto/nacl/secretbox"
)

// NameCurve is the CURVE mechanism's greeting name.
const NameCurve = "CURVE"

// Nonce prefixes (mechanisms.md §4.2). Short nonces append an 8-byte
// big-endian counter to a 16-byte prefix; long nonces append 16 random
// bytes to an 8-byte prefix.
const (
	nonceHello    = "CurveZMQHELLO---"
	nonceInitiate = "CurveZMQINITIATE"
	nonceReady    = "CurveZMQREADY---"
	nonceMsgC     = "CurveZMQMESSAGEC" // client → server traffic
	nonceMsgS     = "CurveZMQMESSAGES" // server → client traffic
	nonceWelcome  = "WELCOME-"
	nonceCookie   = "COOKIE--"
	nonceVouch    = "VOUCH---"
)

// Data sizes of the commands after their names (mechanisms.md §4.3).
const (
	helloData    = 194 // version 2, padding 72, C' 32, nonce 8, signature 80
	welcomeData  = 160 // nonce 16, Box[S' ‖ cookie] 144
	cookieSize   = 96  // nonce 16, Secretbox[C' ‖ s'] 80
	initiateMin  = 248 // cookie 96, nonce 8, Box[C ‖ vouch nonce ‖ vouch ‖ metadata] 144+
	readyMin     = 24  // nonce 8, Box[metadata] 16+
	messageMin   = 25  // nonce 8, Box[flags ‖ body] 17+
	helloPadding = 72
)

// Inner flags of a MESSAGE plaintext: libzmq's, not RFC 26's (§4.7).
const (
	innerMore    = 0x01
	innerCommand = 0x02
)

// errCrypto is a box that does not open: wrong keys, tampering or replay.
// It says which box, never what was in it.
func errCrypto(what string) error {
	return fmt.Errorf("%w: CURVE %s does not open (wrong key or corrupted)", ErrHandshake, what)
}

// curve is the CURVE mechanism (RFC 25/26 as libzmq 4.3 speaks it,
// mechanisms.md §4), either role:
//
//	client: HELLO → WELCOME → INITIATE → READY, then MESSAGE both ways
//	server: HELLO → WELCOME; INITIATE → ask ZAP → READY | ERROR
//
// Between WELCOME and INITIATE the server keeps only the cookie key, fresh
// for this WELCOME: its transient secret and the client's transient key
// travel sealed in the cookie and come back with INITIATE.
type curve struct {
	cfg    Config
	server bool
	state  curveState
	rand   io.Reader

	// long-term keys: ours, and the server's public key (client) or the
	// client's (server, learnt from INITIATE)
	public   PublicKey
	secret   SecretKey
	peerLong PublicKey

	// transient keys: ours (client; the server's comes from the cookie)
	// and the peer's
	tPublic, tSecret [KeySize]byte
	peerT            [KeySize]byte
	cookieKey        [KeySize]byte // server, until INITIATE
	cookie           [cookieSize]byte

	shared   [KeySize]byte // box.Precompute of the transient keys
	sendN    uint64        // last short nonce sent
	recvN    uint64        // last short nonce received
	sendPfx  string
	recvPfx  string
	nonceBuf [24]byte // traffic nonces are built here, never on the heap

	peer Metadata
	zap  zapVerdict
}

type curveState uint8

const (
	curveStart    curveState = iota
	curveHello               // server: waiting for HELLO
	curveWelcome             // client: waiting for WELCOME
	curveInitiate            // server: waiting for INITIATE
	curveReady               // client: waiting for READY
	curveDone
	curveFailed // a traffic error: no more traffic either way
)

// NewCurveClient returns a CURVE client (libzmq's ZMQ_CURVE_SERVERKEY,
// ZMQ_CURVE_PUBLICKEY and ZMQ_CURVE_SECRETKEY): server is the server's
// long-term public key, public and secret are ours.
func NewCurveClient(cfg Config, server, public PublicKey, secret SecretKey) Mechanism {
	return &curve{cfg: cfg, peerLong: server, public: public, secret: secret, rand: rand.Reader,
		sendPfx: nonceMsgC, recvPfx: nonceMsgS}
}

// NewCurveServer returns a CURVE server (ZMQ_CURVE_SERVER with
// ZMQ_CURVE_SECRETKEY). It asks cfg.ZAP about every client that proves it
// knows the server's key; without a handler it accepts them all, as libzmq
// does.
func NewCurveServer(cfg Config, secret SecretKey) Mechanism {
	return &curve{cfg: cfg, server: true, secret: secret, public: secret.Public(), rand: rand.Reader,
		sendPfx: nonceMsgS, recvPfx: nonceMsgC}
}

// Name returns "CURVE".
func (c *curve) Name() string { return NameCurve }

// AsServer reports the configured role; libzmq ignores the flag anyway.
func (c *curve) AsServer() bool { return c.server }

// Encrypted is true: every traffic frame travels inside a MESSAGE.
func (c *curve) Encrypted() bool { return true }

// longNonce returns prefix (8 bytes) followed by 16 random bytes, which it
// also copies into tail.
func (c *curve) longNonce(prefix string, tail []byte) (*[24]byte, error) {
	var n [24]byte
	copy(n[:], prefix)
	if _, err := io.ReadFull(c.rand, n[8:]); err != nil {
		return nil, fmt.Errorf("crypto: CURVE nonce: %w", err)
	}
	copy(tail, n[8:])
	return &n, nil
}

// shortNonce returns prefix (16 bytes) followed by n big-endian.
func shortNonce(prefix string, n uint64) *[24]byte {
	var b [24]byte
	copy(b[:], prefix)
	binary.BigEndian.PutUint64(b[16:], n)
	return &b
}

// nextSend returns the next outgoing short nonce; one counter serves the
// handshake and the traffic (mechanisms.md §4.5).
func (c *curve) nextSend() (uint64, error) {
	if c.sendN == math.MaxUint64 {
		return 0, fmt.Errorf("%w: CURVE nonces exhausted", ErrHandshake)
	}
	c.sendN++
	return c.sendN, nil
}

// Start appends the client's HELLO; the server sends nothing first.
//
//	HELLO  version(2)=1.0  padding(72)  C'(32)  nonce(8)  Box[64 zeros](C'→S)
func (c *curve) Start(dst []byte) ([]byte, error) {
	if c.state != curveStart {
		return dst, errors.New("crypto: CURVE Start called twice")
	}
	if err := checkConfig(&c.cfg); err != nil {
		return dst, err
	}
	if c.server {
		c.state = curveHello
		return dst, nil
	}
	pub, sec, err := box.GenerateKey(c.rand)
	if err != nil {
		return dst, fmt.Errorf("crypto: CURVE transient key: %w", err)
	}
	c.tPublic, c.tSecret = *pub, *sec
	n, _ := c.nextSend()
	dst = frame.AppendCommandHeader(dst, frame.NameHello, helloData)
	dst = append(dst, 1, 0)
	dst = append(dst, make([]byte, helloPadding)...)
	dst = append(dst, c.tPublic[:]...)
	dst = binary.BigEndian.AppendUint64(dst, n)
	server := [KeySize]byte(c.peerLong)
	dst = box.Seal(dst, make([]byte, 64), shortNonce(nonceHello, n), &server, &c.tSecret)
	c.state = curveWelcome
	return dst, nil
}

// Next advances the handshake by one command.
func (c *curve) Next(dst []byte, cmd frame.Command) ([]byte, bool, error) {
	if cmd.Kind == frame.CmdError && !c.server && (c.state == curveWelcome || c.state == curveReady) {
		return dst, false, refusedBy(cmd)
	}
	switch c.state {
	case curveHello:
		if cmd.Kind != frame.CmdHello {
			return dst, false, unexpected(cmd, "HELLO")
		}
		out, err := c.onHello(dst, cmd.Data)
		return out, false, err
	case curveWelcome:
		if cmd.Kind != frame.CmdWelcome {
			return dst, false, unexpected(cmd, "WELCOME")
		}
		out, err := c.onWelcome(dst, cmd.Data)
		return out, false, err
	case curveInitiate:
		if cmd.Kind != frame.CmdInitiate {
			return dst, false, unexpected(cmd, "INITIATE")
		}
		out, err := c.onInitiate(dst, cmd.Data)
		return out, err == nil, err
	case curveReady:
		if cmd.Kind != frame.CmdReady {
			return dst, false, unexpected(cmd, "READY")
		}
		return dst, true, c.onReady(cmd.Data)
	case curveStart:
		return dst, false, errors.New("crypto: CURVE Next called before Start")
	}
	return dst, false, fmt.Errorf("%w: %q command after the handshake", ErrHandshake, clip(cmd.Name))
}

// onHello checks the client's signature and answers WELCOME with a fresh
// transient key pair and cookie key.
//
//	WELCOME  nonce(16)  Box[S'(32) ‖ cookie(96)](S→C')
//	cookie = nonce(16) Secretbox[C'(32) ‖ s'(32)](K)
func (c *curve) onHello(dst, data []byte) ([]byte, error) {
	if len(data) != helloData || data[0] != 1 || data[1] != 0 {
		return dst, fmt.Errorf("%w: malformed CURVE HELLO (%d bytes)", ErrHandshake, len(data))
	}
	// data offsets are body offsets minus the 6-byte name (§4.3)
	copy(c.peerT[:], data[74:106])
	n := binary.BigEndian.Uint64(data[106:114])
	secret := [KeySize]byte(c.secret)
	if _, ok := box.Open(nil, data[114:], shortNonce(nonceHello, n), &c.peerT, &secret); !ok {
		clear(secret[:])
		return dst, errCrypto("HELLO signature")
	}
	c.recvN = n
	tPub, tSec, err := box.GenerateKey(c.rand)
	if err != nil {
		clear(secret[:])
		return dst, fmt.Errorf("crypto: CURVE transient key: %w", err)
	}
	if _, err := io.ReadFull(c.rand, c.cookieKey[:]); err != nil {
		clear(secret[:])
		return dst, fmt.Errorf("crypto: CURVE cookie key: %w", err)
	}
	var plain [2 * KeySize]byte
	copy(plain[:], c.peerT[:])
	copy(plain[KeySize:], tSec[:])
	cn, err := c.longNonce(nonceCookie, c.cookie[:16])
	if err != nil {
		clear(secret[:])
		return dst, err
	}
	secretbox.Seal(c.cookie[16:16], plain[:], cn, &c.cookieKey)
	clear(plain[:])
	clear(tSec[:])

	var welcome [KeySize + cookieSize]byte
	copy(welcome[:], tPub[:])
	copy(welcome[KeySize:], c.cookie[:])
	start := len(dst)
	dst = frame.AppendCommandHeader(dst, frame.NameWelcome, welcomeData)
	mark := len(dst)
	dst = append(dst, make([]byte, 16)...)
	wn, err := c.longNonce(nonceWelcome, dst[mark:])
	if err != nil {
		clear(secret[:])
		return dst[:start], err
	}
	dst = box.Seal(dst, welcome[:], wn, &c.peerT, &secret)
	clear(secret[:])
	// The transient secret now lives only in the cookie; C' too, as the
	// cookie's C' is what INITIATE is checked against.
	clear(c.peerT[:])
	clear(c.cookie[:])
	c.state = curveInitiate
	return dst, nil
}

// onWelcome opens the server's WELCOME and sends INITIATE.
//
//	INITIATE  cookie(96)  nonce(8)  Box[C(32) ‖ vouch nonce(16) ‖ vouch(80) ‖ metadata](C'→S')
//	vouch = Box[C'(32) ‖ S(32)](C→S')
func (c *curve) onWelcome(dst, data []byte) ([]byte, error) {
	if len(data) != welcomeData {
		return dst, fmt.Errorf("%w: malformed CURVE WELCOME (%d bytes)", ErrHandshake, len(data))
	}
	var wn [24]byte
	copy(wn[:], nonceWelcome)
	copy(wn[8:], data[:16])
	server := [KeySize]byte(c.peerLong)
	plain, ok := box.Open(nil, data[16:], &wn, &server, &c.tSecret)
	if !ok {
		return dst, errCrypto("WELCOME")
	}
	var serverT [KeySize]byte
	copy(serverT[:], plain[:KeySize])
	copy(c.cookie[:], plain[KeySize:])
	clear(plain)
	box.Precompute(&c.shared, &serverT, &c.tSecret)

	vouchPlain := make([]byte, 0, 2*KeySize)
	vouchPlain = append(vouchPlain, c.tPublic[:]...)
	vouchPlain = append(vouchPlain, c.peerLong[:]...)
	inner := make([]byte, KeySize+16, KeySize+16+80+basicPropertiesLen(&c.cfg))
	copy(inner, c.public[:])
	vn, err := c.longNonce(nonceVouch, inner[KeySize:])
	if err != nil {
		return dst, err
	}
	secret := [KeySize]byte(c.secret)
	inner = box.Seal(inner, vouchPlain, vn, &serverT, &secret)
	clear(secret[:])
	inner = appendBasicProperties(inner, &c.cfg)

	n, err := c.nextSend()
	if err != nil {
		return dst, err
	}
	dst = frame.AppendCommandHeader(dst, frame.NameInitiate, cookieSize+8+len(inner)+boxOverhead)
	dst = append(dst, c.cookie[:]...)
	dst = binary.BigEndian.AppendUint64(dst, n)
	dst = box.SealAfterPrecomputation(dst, inner, shortNonce(nonceInitiate, n), &c.shared)
	clear(c.cookie[:])
	c.state = curveReady
	return dst, nil
}

// onInitiate recovers the transient keys from the cookie, checks the
// client's vouch, asks ZAP and answers READY (or ERROR).
//
//	READY  nonce(8)  Box[metadata](S'→C')
func (c *curve) onInitiate(dst, data []byte) ([]byte, error) {
	if len(data) < initiateMin {
		return dst, fmt.Errorf("%w: malformed CURVE INITIATE (%d bytes)", ErrHandshake, len(data))
	}
	var cn [24]byte
	copy(cn[:], nonceCookie)
	copy(cn[8:], data[:16])
	keys, ok := secretbox.Open(nil, data[16:cookieSize], &cn, &c.cookieKey)
	clear(c.cookieKey[:])
	if !ok {
		return dst, errCrypto("cookie")
	}
	copy(c.peerT[:], keys[:KeySize])
	var tSec [KeySize]byte
	copy(tSec[:], keys[KeySize:])
	clear(keys)
	defer clear(tSec[:])

	n := binary.BigEndian.Uint64(data[cookieSize : cookieSize+8])
	box.Precompute(&c.shared, &c.peerT, &tSec)
	inner, ok := box.OpenAfterPrecomputation(nil, data[cookieSize+8:], shortNonce(nonceInitiate, n), &c.shared)
	if !ok {
		return dst, errCrypto("INITIATE")
	}
	c.recvN = n
	copy(c.peerLong[:], inner[:KeySize])
	var vn [24]byte
	copy(vn[:], nonceVouch)
	copy(vn[8:], inner[KeySize:KeySize+16])
	client := [KeySize]byte(c.peerLong)
	vouch, ok := box.Open(nil, inner[KeySize+16:KeySize+16+80], &vn, &client, &tSec)
	if !ok {
		return dst, errCrypto("vouch")
	}
	if subtle.ConstantTimeCompare(vouch[:KeySize], c.peerT[:]) != 1 ||
		subtle.ConstantTimeCompare(vouch[KeySize:], c.public[:]) != 1 {
		return dst, fmt.Errorf("%w: CURVE vouch does not match this connection", ErrHandshake)
	}
	md, err := parseMetadata(c.cfg.SocketType, inner[KeySize+16+80:])
	if err != nil {
		return dst, err
	}
	v, refusal, err := askZAP(&c.cfg, &ZAPRequest{Mechanism: NameCurve,
		Credentials: [][]byte{append([]byte(nil), c.peerLong[:]...)}}, nil)
	if err != nil {
		return append(dst, refusal...), err
	}
	addZAPProperties(&md, v)
	c.peer = md

	sn, err := c.nextSend()
	if err != nil {
		return dst, err
	}
	meta := appendBasicProperties(make([]byte, 0, basicPropertiesLen(&c.cfg)), &c.cfg)
	dst = frame.AppendCommandHeader(dst, frame.NameReady, 8+len(meta)+boxOverhead)
	dst = binary.BigEndian.AppendUint64(dst, sn)
	dst = box.SealAfterPrecomputation(dst, meta, shortNonce(nonceReady, sn), &c.shared)
	c.state = curveDone
	return dst, nil
}

// onReady opens the server's READY and takes its metadata.
func (c *curve) onReady(data []byte) error {
	if len(data) < readyMin {
		return fmt.Errorf("%w: malformed CURVE READY (%d bytes)", ErrHandshake, len(data))
	}
	n := binary.BigEndian.Uint64(data[:8])
	meta, ok := box.OpenAfterPrecomputation(nil, data[8:], shortNonce(nonceReady, n), &c.shared)
	if !ok {
		return errCrypto("READY")
	}
	md, err := parseMetadata(c.cfg.SocketType, meta)
	if err != nil {
		return err
	}
	c.recvN = n
	c.peer = md
	clear(c.tSecret[:])
	c.state = curveDone
	return nil
}

// Peer returns the peer's metadata once the handshake is done; on a server
// that asked ZAP it starts with User-Id and the handler's properties.
func (c *curve) Peer() *Metadata {
	if c.state != curveDone && c.state != curveFailed {
		return nil
	}
	return &c.peer
}

// messageHeader is the name part of every MESSAGE body.
const messageHeader = "\x07MESSAGE"

// Encode appends one traffic frame as a MESSAGE (mechanisms.md §4.3, §4.7):
// the frame's MORE and COMMAND bits go into the inner flags byte, and the
// outer frame carries no flags but LONG, as libzmq sends it. The plaintext
// is copied into dst once and encrypted there: no allocation when dst has
// room.
//
//	MESSAGE  nonce(8)  Box[flags(1) ‖ payload](sender'→receiver')
func (c *curve) Encode(dst []byte, flags byte, payload []byte) ([]byte, error) {
	if c.state != curveDone {
		return dst, fmt.Errorf("%w: CURVE traffic before the handshake", ErrHandshake)
	}
	n, err := c.nextSend()
	if err != nil {
		c.state = curveFailed
		return dst, err
	}
	var inner byte
	if flags&frame.FlagMore != 0 {
		inner |= innerMore
	}
	if flags&frame.FlagCommand != 0 {
		inner |= innerCommand
	}
	dst = frame.AppendHeader(dst, 0, len(messageHeader)+8+boxOverhead+1+len(payload))
	dst = append(dst, messageHeader...)
	dst = binary.BigEndian.AppendUint64(dst, n)
	start := len(dst)
	dst = append(dst, make([]byte, boxOverhead)...)
	dst = append(dst, inner)
	dst = append(dst, payload...)
	copy(c.nonceBuf[:], c.sendPfx)
	binary.BigEndian.PutUint64(c.nonceBuf[16:], n)
	sealInPlace(dst[start:], &c.nonceBuf, &c.shared)
	return dst, nil
}

// Decode opens one MESSAGE in place and returns the inner frame's flags
// (frame.FlagMore, frame.FlagCommand) and payload, a view into cmd.Data.
// The outer frame's flags are ignored, as they must be (§4.7). A nonce not
// above the last one received, a box that does not open or any command but
// MESSAGE is an error that must close the connection.
func (c *curve) Decode(cmd frame.Command) (byte, []byte, error) {
	if c.state != curveDone {
		return 0, nil, fmt.Errorf("%w: CURVE traffic before the handshake", ErrHandshake)
	}
	if cmd.Kind != frame.CmdMessage {
		return 0, nil, fmt.Errorf("%w: %q command in CURVE traffic, want MESSAGE", ErrHandshake, clip(cmd.Name))
	}
	data := cmd.Data
	if len(data) < messageMin {
		return 0, nil, fmt.Errorf("%w: malformed CURVE MESSAGE (%d bytes)", ErrHandshake, len(data))
	}
	n := binary.BigEndian.Uint64(data[:8])
	if n <= c.recvN {
		c.state = curveFailed
		return 0, nil, fmt.Errorf("%w: CURVE MESSAGE nonce %d not above %d (replayed or reordered)", ErrHandshake, n, c.recvN)
	}
	copy(c.nonceBuf[:], c.recvPfx)
	binary.BigEndian.PutUint64(c.nonceBuf[16:], n)
	if !openInPlace(data[8:], &c.nonceBuf, &c.shared) {
		c.state = curveFailed
		return 0, nil, errCrypto("MESSAGE")
	}
	c.recvN = n
	plain := data[8+boxOverhead:]
	var flags byte
	if plain[0]&innerMore != 0 {
		flags |= frame.FlagMore
	}
	if plain[0]&innerCommand != 0 {
		flags |= frame.FlagCommand
	}
	return flags, plain[1:], nil
}
