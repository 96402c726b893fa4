package frame

import "encoding/binary"

// Flag bits of a frame header (RFC 23 §"Framing"); bits 3-7 are reserved.
const (
	// FlagMore marks a message frame that more frames follow.
	FlagMore = 0x01
	// FlagLong marks an 8-byte size field instead of a 1-byte one.
	FlagLong = 0x02
	// FlagCommand marks a command frame instead of message data.
	FlagCommand = 0x04
)

// MaxShortSize is the largest body sent with a 1-byte size: libzmq uses the
// short form iff size <= 255 and so do we (zmtp.md §4).
const MaxShortSize = 255

// Header sizes of the two forms.
const (
	shortHeaderLen = 2 // flags, size
	longHeaderLen  = 9 // flags, 8-byte big-endian size
)

// Header is a decoded frame header.
type Header struct {
	Flags byte   // flags byte as received, reserved bits included (libzmq tolerates them)
	Size  uint64 // body length, below 2^63
	Len   int    // header length in bytes: 2 or 9
}

// More reports whether more frames of the same message follow.
func (h Header) More() bool { return h.Flags&FlagMore != 0 }

// Command reports whether the frame is a command.
func (h Header) Command() bool { return h.Flags&FlagCommand != 0 }

// ParseHeader decodes the frame header at the start of b (RFC 23 §"Framing"):
//
//	flags(1) size(1)          FlagLong clear
//	flags(1) size(8, BE)      FlagLong set
//
// It returns ErrShort when b holds less than the whole header, ErrMalformed
// for a command with MORE (libzmq's decoder gets confused by it, zmtp.md §4)
// and ErrTooLarge when the size has bit 63 set. Reserved bits and the long
// form for a small size are accepted, as libzmq accepts them. The caller
// compares Size with its own limit before allocating anything for the body.
func ParseHeader(b []byte) (Header, error) {
	if len(b) == 0 {
		return Header{}, ErrShort
	}
	flags := b[0]
	if flags&(FlagMore|FlagCommand) == FlagMore|FlagCommand {
		return Header{}, errCommandMore
	}
	if flags&FlagLong == 0 {
		if len(b) < shortHeaderLen {
			return Header{}, ErrShort
		}
		return Header{Flags: flags, Size: uint64(b[1]), Len: shortHeaderLen}, nil
	}
	if len(b) < longHeaderLen {
		return Header{}, ErrShort
	}
	size := binary.BigEndian.Uint64(b[1:longHeaderLen])
	if size>>63 != 0 {
		return Header{}, errSizeTopBit
	}
	return Header{Flags: flags, Size: size, Len: longHeaderLen}, nil
}

// HeaderLen returns the length of the header AppendHeader writes for a body
// of size bytes.
func HeaderLen(size int) int {
	if size <= MaxShortSize {
		return shortHeaderLen
	}
	return longHeaderLen
}

// AppendHeader appends a frame header for a body of size bytes. flags holds
// FlagMore and/or FlagCommand; FlagLong is set or cleared from size, exactly
// as libzmq does (short iff size <= 255), because libzmq 4.3.4's SUBSCRIBE
// bug shows what a stale LONG bit does to a peer (zmtp.md §10).
func AppendHeader(dst []byte, flags byte, size int) []byte {
	if size < 0 {
		panic("frame: negative frame size")
	}
	flags &^= FlagLong
	if size <= MaxShortSize {
		return append(dst, flags, byte(size))
	}
	return binary.BigEndian.AppendUint64(append(dst, flags|FlagLong), uint64(size))
}

// AppendFrame appends a whole frame: header and payload.
func AppendFrame(dst []byte, flags byte, payload []byte) []byte {
	return append(AppendHeader(dst, flags, len(payload)), payload...)
}
