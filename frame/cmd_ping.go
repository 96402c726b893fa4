package frame

// MaxPingContext is the longest PING context (RFC 37 §"Heartbeating").
const MaxPingContext = 16

// ParsePing decodes the data of a PING command (RFC 37 §"Heartbeating",
// zmtp.md §11):
//
//	ttl(2, BE, deciseconds) context(0..16)
//
// Data shorter than the TTL is ErrMalformed: libzmq 4.3.4 answers such a
// PING with 16 stale bytes, so nobody sane sends it. A context above the
// RFC's 16 bytes is cut to 16, as libzmq does, rather than refused: the
// PONG echoes no more than that anyway.
func ParsePing(data []byte) (ttl uint16, context []byte, err error) {
	if len(data) < 2 {
		return 0, nil, errPingShort
	}
	end := min(len(data), 2+MaxPingContext)
	return uint16(data[0])<<8 | uint16(data[1]), data[2:end:end], nil
}

// AppendPing appends a whole PING command frame. A context longer than 16
// bytes is truncated to 16.
func AppendPing(dst []byte, ttl uint16, context []byte) []byte {
	if len(context) > MaxPingContext {
		context = context[:MaxPingContext]
	}
	dst = AppendCommandHeader(dst, NamePing, 2+len(context))
	dst = append(dst, byte(ttl>>8), byte(ttl))
	return append(dst, context...)
}

// AppendPong appends a whole PONG command frame echoing context; a context
// longer than 16 bytes is truncated to 16, as libzmq does when it echoes.
func AppendPong(dst []byte, context []byte) []byte {
	if len(context) > MaxPingContext {
		context = context[:MaxPingContext]
	}
	dst = AppendCommandHeader(dst, NamePong, len(context))
	return append(dst, context...)
}
