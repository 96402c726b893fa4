package crypto

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"

	"golang.org/x/crypto/curve25519"
	"golang.org/x/crypto/nacl/box"
)

// KeySize is the length of a Curve25519 key in bytes.
const KeySize = 32

// ErrKey reports a key that is neither 32 raw bytes nor 40 Z85 characters.
var ErrKey = errors.New("crypto: invalid CURVE key")

// PublicKey is a Curve25519 public key. Its String is the 40-character Z85
// text that libzmq's ZMQ_CURVE_PUBLICKEY and ZMQ_CURVE_SERVERKEY accept.
type PublicKey [KeySize]byte

// SecretKey is a Curve25519 secret key. It never prints itself: every fmt
// verb shows "SecretKey(redacted)", so a key that slips into a log or an
// error leaks nothing. Z85 exports it on purpose.
type SecretKey [KeySize]byte

// String returns the key as Z85 text.
func (k PublicKey) String() string { return k.Z85() }

// Z85 returns the key as 40 characters of Z85 text.
func (k PublicKey) Z85() string {
	b, _ := AppendZ85(make([]byte, 0, 40), k[:]) // 32 is a multiple of 4
	return string(b)
}

// IsZero reports whether the key is all zeros, i.e. unset.
func (k PublicKey) IsZero() bool { return k == PublicKey{} }

// Z85 returns the secret as 40 characters of Z85 text, for storing it.
func (k SecretKey) Z85() string {
	b, _ := AppendZ85(make([]byte, 0, 40), k[:])
	return string(b)
}

// String hides the key.
func (k SecretKey) String() string { return "SecretKey(redacted)" }

// GoString hides the key from %#v.
func (k SecretKey) GoString() string { return k.String() }

// Format hides the key from every verb, %x and %d included.
func (k SecretKey) Format(f fmt.State, _ rune) { f.Write([]byte(k.String())) }

// IsZero reports whether the key is all zeros, i.e. unset.
func (k SecretKey) IsZero() bool { return subtle.ConstantTimeCompare(k[:], make([]byte, KeySize)) == 1 }

// Public derives the public key of k (libzmq's zmq_curve_public).
func (k SecretKey) Public() PublicKey {
	var p PublicKey
	pub, err := curve25519.X25519(k[:], curve25519.Basepoint)
	if err != nil {
		// X25519 with the base point fails only for a low-order point,
		// which the base point is not.
		return p
	}
	copy(p[:], pub)
	return p
}

// NewCurveKeypair returns a fresh long-term key pair (libzmq's
// zmq_curve_keypair) read from crypto/rand.
func NewCurveKeypair() (PublicKey, SecretKey, error) {
	pub, sec, err := box.GenerateKey(rand.Reader)
	if err != nil {
		return PublicKey{}, SecretKey{}, fmt.Errorf("crypto: generate CURVE key pair: %w", err)
	}
	return *pub, *sec, nil
}

// parseKey accepts what libzmq's curve key options accept: 32 raw bytes,
// 40 Z85 characters, or 40 Z85 characters and a NUL.
func parseKey(s string) ([KeySize]byte, error) {
	var k [KeySize]byte
	switch len(s) {
	case KeySize:
		copy(k[:], s)
		return k, nil
	case 41:
		if s[40] != 0 {
			break
		}
		s = s[:40]
		fallthrough
	case 40:
		if _, err := AppendZ85Decode(k[:0], s); err != nil {
			return [KeySize]byte{}, fmt.Errorf("%w: %w", ErrKey, err)
		}
		return k, nil
	}
	return k, fmt.Errorf("%w: %d bytes, want 32 raw bytes or 40 Z85 characters", ErrKey, len(s))
}

// ParsePublicKey reads a public key given as 40 Z85 characters (optionally
// NUL-terminated) or as 32 raw bytes.
func ParsePublicKey(s string) (PublicKey, error) {
	k, err := parseKey(s)
	return PublicKey(k), err
}

// ParseSecretKey reads a secret key given as 40 Z85 characters (optionally
// NUL-terminated) or as 32 raw bytes. Errors never quote the input.
func ParseSecretKey(s string) (SecretKey, error) {
	k, err := parseKey(s)
	return SecretKey(k), err
}
