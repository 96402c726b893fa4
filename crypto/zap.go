package crypto

import (
	"errors"
	"fmt"

	"github.com/azmq/azmq/frame"
)

// ZAP status codes (RFC 27 §"Reply"); libzmq accepts no others.
const (
	ZAPOK        = 200 // the peer may connect
	ZAPTemporary = 300 // try again later: no ERROR is sent, the peer reconnects
	ZAPDenied    = 400 // refused: the peer gets ERROR "400" and stops
	ZAPFailure   = 500 // the handler failed: the peer gets ERROR "500" and stops
)

// ZAPVersion is the only ZAP version (RFC 27).
const ZAPVersion = "1.0"

// zapRequestID is the request id libzmq always sends; any echoed id would
// do, and using libzmq's keeps handlers written against it unsurprised.
const zapRequestID = "1"

var (
	// ErrNoZAPHandler is what a Config.ZAP function returns when no handler
	// exists: the mechanism then behaves as libzmq does without one (PLAIN
	// refuses everyone, CURVE and NULL accept).
	ErrNoZAPHandler = errors.New("crypto: no ZAP handler")
	// ErrZAPReply reports a ZAP reply that breaks RFC 27 as libzmq checks
	// it (zap.md §3); the peer is closed without an ERROR.
	ErrZAPReply = errors.New("crypto: malformed ZAP reply")
)

// ZAPRequest is what a security server asks its ZAP handler (RFC 27
// §"Request", with libzmq's values, zap.md §2).
type ZAPRequest struct {
	Domain  string // the socket's ZAP domain; libzmq allows it empty
	Address string // the peer's IP without port; "" for ipc
	// RoutingID is the authenticating socket's OWN routing id, as libzmq
	// sends it, not the peer's identity that RFC 27 describes.
	RoutingID []byte
	Mechanism string // "NULL", "PLAIN" or "CURVE"
	// Credentials: none for NULL, username and password for PLAIN, the
	// client's long-term public key (32 raw bytes) for CURVE.
	Credentials [][]byte
}

// ZAPReply is a handler's answer (RFC 27 §"Reply").
type ZAPReply struct {
	Status int    // ZAPOK, ZAPTemporary, ZAPDenied or ZAPFailure
	Text   string // for logs only: libzmq never tells the peer
	UserID string // becomes the connection's User-Id property on success
	// Metadata properties are added to the connection's properties on
	// success; names must be 1..255 bytes.
	Metadata []frame.Property
}

// ZAPFunc answers a ZAP request synchronously, or returns ErrNoZAPHandler
// when there is no handler. A mechanism calls it from Start or Next, so a
// slow handler stalls the goroutine driving the connection (with the epoll
// backend, its whole loop).
type ZAPFunc func(*ZAPRequest) (ZAPReply, error)

// AppendZAPRequest appends the frames of req after the empty delimiter
// frame (RFC 27; the delimiter is the transport's envelope): version,
// request id, domain, address, identity, mechanism, credentials.
func AppendZAPRequest(dst [][]byte, req *ZAPRequest) [][]byte {
	dst = append(dst, []byte(ZAPVersion), []byte(zapRequestID), []byte(req.Domain),
		[]byte(req.Address), req.RoutingID, []byte(req.Mechanism))
	return append(dst, req.Credentials...)
}

// ParseZAPReply checks the frames of a reply as libzmq does (zap.md §3):
// exactly the 7 frames delimiter, version "1.0", the request id we sent
// ("1"), a status of 200/300/400/500, status text, user id and a metadata
// block. The reply owns nothing of frames: every value is copied.
func ParseZAPReply(frames [][]byte) (ZAPReply, error) {
	if len(frames) != 7 {
		return ZAPReply{}, fmt.Errorf("%w: %d frames, want 7", ErrZAPReply, len(frames))
	}
	if len(frames[0]) != 0 {
		return ZAPReply{}, fmt.Errorf("%w: first frame is not the empty delimiter", ErrZAPReply)
	}
	if string(frames[1]) != ZAPVersion {
		return ZAPReply{}, fmt.Errorf("%w: version %q, want %q", ErrZAPReply, clip(frames[1]), ZAPVersion)
	}
	if string(frames[2]) != zapRequestID {
		return ZAPReply{}, fmt.Errorf("%w: request id %q, want %q", ErrZAPReply, clip(frames[2]), zapRequestID)
	}
	var status int
	switch string(frames[3]) {
	case "200":
		status = ZAPOK
	case "300":
		status = ZAPTemporary
	case "400":
		status = ZAPDenied
	case "500":
		status = ZAPFailure
	default:
		return ZAPReply{}, fmt.Errorf("%w: status %q", ErrZAPReply, clip(frames[3]))
	}
	md, err := copyProperties(frames[6])
	if err != nil {
		return ZAPReply{}, fmt.Errorf("%w: metadata: %w", ErrZAPReply, err)
	}
	return ZAPReply{Status: status, Text: string(frames[4]), UserID: string(frames[5]), Metadata: md}, nil
}

// clip bounds what an error quotes of a peer's bytes.
func clip(b []byte) []byte {
	if len(b) > 32 {
		return b[:32]
	}
	return b
}

// copyProperties validates a metadata block and returns its properties
// backed by one owned copy.
func copyProperties(block []byte) ([]frame.Property, error) {
	n := 0
	it := frame.NewMetadataIter(block)
	for it.Next() {
		n++
	}
	if err := it.Err(); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	own := append([]byte(nil), block...)
	props := make([]frame.Property, 0, n)
	it = frame.NewMetadataIter(own)
	for it.Next() {
		props = append(props, it.Property())
	}
	return props, nil
}

// zapVerdict is what a mechanism does after consulting ZAP.
type zapVerdict struct {
	asked bool     // a handler answered 200; reply holds its answer
	reply ZAPReply // valid when asked
}

// askZAP consults cfg's handler as libzmq does once it decided ZAP applies.
// It returns the ERROR to send (nil for none) with an error wrapping ErrAuth
// on refusal. noHandlerErr, if not nil, is the refusal used when there is
// no handler (PLAIN); otherwise no handler means accept.
func askZAP(cfg *Config, req *ZAPRequest, noHandlerErr error) (zapVerdict, []byte, error) {
	if cfg.ZAP == nil {
		return zapVerdict{}, nil, noHandlerErr
	}
	req.Domain, req.Address, req.RoutingID = cfg.Domain, cfg.PeerAddress, cfg.Identity
	reply, err := cfg.ZAP(req)
	if errors.Is(err, ErrNoZAPHandler) {
		return zapVerdict{}, nil, noHandlerErr
	}
	if err != nil {
		return zapVerdict{}, nil, fmt.Errorf("%w: ZAP: %w", ErrHandshake, err)
	}
	switch reply.Status {
	case ZAPOK:
		for _, p := range reply.Metadata {
			if len(p.Name) == 0 || len(p.Name) > 255 {
				return zapVerdict{}, nil, fmt.Errorf("%w: ZAP metadata name of %d bytes", ErrHandshake, len(p.Name))
			}
		}
		return zapVerdict{asked: true, reply: reply}, nil, nil
	case ZAPTemporary:
		return zapVerdict{}, nil, fmt.Errorf("%w: ZAP status 300 (temporary), closing without ERROR", ErrAuth)
	case ZAPDenied, ZAPFailure:
		code := fmt.Sprint(reply.Status)
		return zapVerdict{}, frame.AppendError(nil, code), fmt.Errorf("%w: ZAP status %s", ErrAuth, code)
	}
	return zapVerdict{}, nil, fmt.Errorf("%w: ZAP status %d", ErrHandshake, reply.Status)
}

// addZAPProperties puts User-Id and the handler's metadata in front of the
// peer's properties: Get is first-wins, so ZAP's values beat the peer's on
// a clash, the order libzmq merges them in (zap.md §6).
func addZAPProperties(md *Metadata, v zapVerdict) {
	if !v.asked {
		return
	}
	props := make([]frame.Property, 0, 1+len(v.reply.Metadata)+len(md.Props))
	props = append(props, frame.Property{Name: []byte(frame.PropUserID), Value: []byte(v.reply.UserID)})
	for _, p := range v.reply.Metadata {
		props = append(props, frame.Property{Name: append([]byte(nil), p.Name...), Value: append([]byte(nil), p.Value...)})
	}
	md.Props = append(props, md.Props...)
}
