package frame

import (
	"encoding/binary"
	"math"
)

// Property names defined by RFC 23/37 and libzmq. Emit them exactly so:
// libzmq compares them case-sensitively (zmtp.md §6).
const (
	// PropSocketType names the sender's socket type ("DEALER", ...).
	PropSocketType = "Socket-Type"
	// PropIdentity names the sender's routing id (REQ, DEALER, ROUTER only).
	PropIdentity = "Identity"
	// PropResource names the RFC 37 resource; libzmq ignores it.
	PropResource = "Resource"
	// PropUserID names the ZAP user id (added by ZAP, never sent by peers).
	PropUserID = "User-Id"
)

// MaxValueLen is the largest property value length (RFC 23 §"Metadata": a
// 4-byte length of at most 2^31-1).
const MaxValueLen = math.MaxInt32

// Property is one metadata property; Name and Value are views.
type Property struct {
	Name, Value []byte
}

// MetadataIter walks a metadata block without allocating:
//
//	it := frame.NewMetadataIter(b)
//	for it.Next() {
//		p := it.Property()
//	}
//	if err := it.Err(); err != nil { ... }
//
// Block layout (RFC 23 §"Metadata"), properties concatenated without count
// or terminator:
//
//	name-len(1, 1..255) name value-len(4, BE, 0..2^31-1) value
type MetadataIter struct {
	rest []byte
	cur  Property
	err  error
}

// NewMetadataIter returns an iterator over the properties of block b.
func NewMetadataIter(b []byte) MetadataIter {
	return MetadataIter{rest: b}
}

// Next advances to the next property and reports whether there is one. It
// returns false at the end of the block and on the first error.
func (it *MetadataIter) Next() bool {
	it.cur = Property{}
	if it.err != nil || len(it.rest) == 0 {
		return false
	}
	b := it.rest
	n := int(b[0])
	if n == 0 {
		return it.fail(errPropName)
	}
	if len(b) < 1+n+4 {
		// Also a single trailing byte, which libzmq rejects as well.
		return it.fail(errPropShort)
	}
	name := b[1 : 1+n : 1+n]
	vlen := binary.BigEndian.Uint32(b[1+n:])
	if vlen > MaxValueLen {
		return it.fail(errPropValueLen)
	}
	// Compare in uint64 so that 32-bit platforms cannot overflow.
	start := 1 + n + 4
	if uint64(len(b)-start) < uint64(vlen) {
		return it.fail(errPropShort)
	}
	end := start + int(vlen)
	it.cur = Property{Name: name, Value: b[start:end:end]}
	it.rest = b[end:]
	return true
}

func (it *MetadataIter) fail(err error) bool {
	it.err = err
	it.rest = nil
	return false
}

// Property returns the property Next moved to; its slices are views into
// the block with clipped capacity.
func (it *MetadataIter) Property() Property { return it.cur }

// Err returns the error that stopped the walk, or nil at a clean end:
// ErrMalformed for a zero-length name, a truncated property (including a
// single trailing byte) or a value length above 2^31-1.
func (it *MetadataIter) Err() error { return it.err }

// PropertyLen returns the encoded length of one property.
func PropertyLen(name string, valueLen int) int {
	return 1 + len(name) + 4 + valueLen
}

// AppendProperty appends one property. The name must be 1..255 bytes and the
// value at most 2^31-1 bytes; anything else is a programming error and
// panics, so validate user-supplied metadata before calling.
func AppendProperty(dst []byte, name string, value []byte) []byte {
	checkName(name)
	if uint64(len(value)) > MaxValueLen {
		panic("frame: property value longer than 2^31-1 bytes")
	}
	dst = append(dst, byte(len(name)))
	dst = append(dst, name...)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(value)))
	return append(dst, value...)
}

// EqualFoldName reports whether a and b are equal under ASCII case folding:
// property names are case-insensitive (RFC 23 §"Metadata"). It does not
// allocate, and unlike strings.EqualFold it folds ASCII only, as names are ASCII.
func EqualFoldName(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
