package crypto

import (
	"crypto/subtle"

	"golang.org/x/crypto/poly1305"
	"golang.org/x/crypto/salsa20/salsa"
)

// boxOverhead is the Poly1305 tag that precedes every box's ciphertext.
const boxOverhead = poly1305.TagSize

// The traffic path seals and opens MESSAGE boxes in place, which
// nacl/secretbox cannot do (it panics on overlapping buffers), so it composes
// the same XSalsa20-Poly1305 from the primitives nacl/secretbox is built on;
// with a key from box.Precompute the bytes are those of
// box.SealAfterPrecomputation (tested against it).

// xsalsaSetup derives the XSalsa20 subkey and counter for nonce and returns
// the Poly1305 key with the first 32 bytes of keystream that follow it.
func xsalsaSetup(nonce *[24]byte, key *[32]byte) (subKey [32]byte, counter [16]byte, first [64]byte) {
	var hNonce [16]byte
	copy(hNonce[:], nonce[:16])
	salsa.HSalsa20(&subKey, &hNonce, key, &salsa.Sigma)
	copy(counter[:], nonce[16:])
	salsa.XORKeyStream(first[:], first[:], &counter, &subKey)
	counter[8] = 1
	return subKey, counter, first
}

// xorStream encrypts or decrypts msg in place: its first 32 bytes with the
// rest of the first keystream block, then from block 1 on.
func xorStream(msg []byte, first *[64]byte, counter *[16]byte, subKey *[32]byte) {
	n := min(len(msg), 32)
	for i := 0; i < n; i++ {
		msg[i] ^= first[32+i]
	}
	if len(msg) > n {
		salsa.XORKeyStream(msg[n:], msg[n:], counter, subKey)
	}
}

// sealInPlace encrypts buf[boxOverhead:] in place and writes its tag into
// buf[:boxOverhead]: buf becomes the box of its own tail.
func sealInPlace(buf []byte, nonce *[24]byte, key *[32]byte) {
	subKey, counter, first := xsalsaSetup(nonce, key)
	msg := buf[boxOverhead:]
	xorStream(msg, &first, &counter, &subKey)
	var polyKey [32]byte
	copy(polyKey[:], first[:32])
	var tag [poly1305.TagSize]byte
	poly1305.Sum(&tag, msg, &polyKey)
	copy(buf, tag[:])
	clear(subKey[:])
	clear(first[:])
}

// openInPlace authenticates box and decrypts it in place; the plaintext is
// then box[boxOverhead:]. Nothing is written unless the tag is right.
func openInPlace(box []byte, nonce *[24]byte, key *[32]byte) bool {
	if len(box) < boxOverhead {
		return false
	}
	subKey, counter, first := xsalsaSetup(nonce, key)
	var polyKey [32]byte
	copy(polyKey[:], first[:32])
	var tag [poly1305.TagSize]byte
	copy(tag[:], box)
	var want [poly1305.TagSize]byte
	poly1305.Sum(&want, box[boxOverhead:], &polyKey)
	if subtle.ConstantTimeCompare(tag[:], want[:]) != 1 {
		return false
	}
	xorStream(box[boxOverhead:], &first, &counter, &subKey)
	clear(subKey[:])
	clear(first[:])
	return true
}
