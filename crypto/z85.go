package crypto

import (
	"errors"
	"fmt"
)

// ErrZ85 reports text or binary that Z85 cannot encode or decode; the
// wrapped message names the length or the offending offset.
var ErrZ85 = errors.New("crypto: invalid Z85")

// z85Alphabet maps values 0..84 to characters (RFC 32).
const z85Alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"

// z85Values maps a character to its value plus one; 0 marks a character
// outside the alphabet.
var z85Values = func() (t [256]byte) {
	for i := 0; i < len(z85Alphabet); i++ {
		t[z85Alphabet[i]] = byte(i + 1)
	}
	return t
}()

// Z85EncodedLen returns the text length of n bytes (n a multiple of 4).
func Z85EncodedLen(n int) int { return n / 4 * 5 }

// AppendZ85 appends the Z85 text of src (RFC 32). Like libzmq it refuses a
// length that is not a multiple of 4: Z85 defines no padding.
func AppendZ85(dst, src []byte) ([]byte, error) {
	if len(src)%4 != 0 {
		return dst, fmt.Errorf("%w: %d bytes is not a multiple of 4", ErrZ85, len(src))
	}
	for i := 0; i < len(src); i += 4 {
		v := uint32(src[i])<<24 | uint32(src[i+1])<<16 | uint32(src[i+2])<<8 | uint32(src[i+3])
		var group [5]byte
		for j := 4; j >= 0; j-- {
			group[j] = z85Alphabet[v%85]
			v /= 85
		}
		dst = append(dst, group[:]...)
	}
	return dst, nil
}

// EncodeZ85 returns the Z85 text of src, whose length must be a multiple of 4.
func EncodeZ85(src []byte) (string, error) {
	b, err := AppendZ85(make([]byte, 0, Z85EncodedLen(len(src))), src)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// AppendZ85Decode appends the bytes that Z85 text s stands for. It rejects
// what libzmq's zmq_z85_decode rejects: a length that is zero or not a
// multiple of 5, a character outside the alphabet, and a group worth more
// than 2^32-1 (such as "#####").
func AppendZ85Decode(dst []byte, s string) ([]byte, error) {
	if len(s) == 0 || len(s)%5 != 0 {
		return dst, fmt.Errorf("%w: %d characters is not a positive multiple of 5", ErrZ85, len(s))
	}
	for i := 0; i < len(s); i += 5 {
		var v uint64
		for j := i; j < i+5; j++ {
			d := z85Values[s[j]]
			if d == 0 {
				// The character itself stays out of the message: s may be a
				// secret key.
				return dst, fmt.Errorf("%w: character at offset %d is not in the alphabet", ErrZ85, j)
			}
			v = v*85 + uint64(d-1)
		}
		if v > 0xFFFFFFFF {
			return dst, fmt.Errorf("%w: group at offset %d exceeds 32 bits", ErrZ85, i)
		}
		dst = append(dst, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return dst, nil
}

// DecodeZ85 returns the bytes that Z85 text s stands for.
func DecodeZ85(s string) ([]byte, error) {
	return AppendZ85Decode(make([]byte, 0, len(s)/5*4), s)
}
