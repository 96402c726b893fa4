package frame

import "errors"

// Sentinel errors; decoders wrap them with context, so test with errors.Is.
var (
	// ErrShort reports that the input ends before the item does: read more
	// bytes and parse again. It is not a protocol error.
	ErrShort = errors.New("frame: need more bytes")
	// ErrSignature reports a greeting whose signature is not ZMTP 3.x
	// (byte 0 is not 0xFF or byte 9 has bit 0 clear): a ZMTP/1.0 peer.
	ErrSignature = errors.New("frame: bad greeting signature")
	// ErrVersion reports a peer whose major version is below 3; azmq does
	// not downgrade to ZMTP/1.0 or 2.0.
	ErrVersion = errors.New("frame: unsupported ZMTP version")
	// ErrMechanism reports a greeting whose mechanism differs from ours;
	// returned by callers that compare with Greeting.MechanismIs.
	ErrMechanism = errors.New("frame: security mechanism mismatch")
	// ErrMalformed reports a frame, command or metadata block that breaks
	// the grammar of RFC 23/37.
	ErrMalformed = errors.New("frame: malformed")
	// ErrTooLarge reports a frame size that has bit 63 set (RFC 23 §"Framing"
	// limits sizes to 2^63-1) or exceeds a configured limit.
	ErrTooLarge = errors.New("frame: too large")
)

// wireError is a sentinel plus fixed context. The instances are package
// variables so that returning one never allocates, even when a hostile peer
// makes every frame fail.
type wireError struct {
	kind error
	msg  string
}

// Error returns the sentinel's text followed by the context.
func (e *wireError) Error() string { return e.kind.Error() + ": " + e.msg }

// Unwrap returns the sentinel, so that errors.Is sees it.
func (e *wireError) Unwrap() error { return e.kind }

var (
	errSigHead      = &wireError{ErrSignature, "byte 0 is not 0xFF (ZMTP/1.0 peer)"}
	errSigTail      = &wireError{ErrSignature, "byte 9 bit 0 is clear (ZMTP/1.0 peer)"}
	errCommandMore  = &wireError{ErrMalformed, "command frame with MORE flag"}
	errSizeTopBit   = &wireError{ErrTooLarge, "frame size has bit 63 set"}
	errCmdEmpty     = &wireError{ErrMalformed, "empty command body"}
	errCmdNameZero  = &wireError{ErrMalformed, "command name length is zero"}
	errCmdNameShort = &wireError{ErrMalformed, "command body shorter than its name"}
	errErrorShort   = &wireError{ErrMalformed, "ERROR: missing reason length"}
	errErrorReason  = &wireError{ErrMalformed, "ERROR: reason longer than the command"}
	errPingShort    = &wireError{ErrMalformed, "PING: shorter than its 2-byte TTL"}
	errPropName     = &wireError{ErrMalformed, "metadata: zero-length property name"}
	errPropShort    = &wireError{ErrMalformed, "metadata: truncated property"}
	errPropValueLen = &wireError{ErrMalformed, "metadata: value length above 2^31-1"}
)
