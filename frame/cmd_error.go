package frame

// MaxErrorReason is the longest ERROR reason: its length is one byte.
const MaxErrorReason = 255

// ParseError decodes the data of an ERROR command (RFC 23 §"The ERROR
// command", zmtp.md §8):
//
//	reason-len(1) reason(reason-len)
//
// A missing length byte or a reason longer than the data is ErrMalformed.
// Trailing bytes after the reason are ignored, as libzmq ignores them.
func ParseError(data []byte) (reason []byte, err error) {
	if len(data) == 0 {
		return nil, errErrorShort
	}
	n := int(data[0])
	if len(data)-1 < n {
		return nil, errErrorReason
	}
	return data[1 : 1+n : 1+n], nil
}

// AppendError appends a whole ERROR command frame; a reason longer than 255
// bytes is truncated, since its length must fit in one byte.
func AppendError(dst []byte, reason string) []byte {
	if len(reason) > MaxErrorReason {
		reason = reason[:MaxErrorReason]
	}
	dst = AppendCommandHeader(dst, NameError, 1+len(reason))
	dst = append(dst, byte(len(reason)))
	return append(dst, reason...)
}
