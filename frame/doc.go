// Package frame is the ZMTP 3.x wire codec: the greeting, frame headers,
// commands and metadata properties of ZeroMQ RFC 23 (ZMTP 3.0) and RFC 37
// (ZMTP 3.1), written to match what libzmq 4.3 sends and accepts.
//
// Everything here is a pure function over byte slices, so the same code
// serves every transport backend and every test harness:
//
//   - ParseX(b) decodes from the start of b and returns views into b
//     (nothing is copied; a view lives as long as the caller keeps b intact);
//   - AppendX(dst, ...) appends an encoding to dst (dst may be nil) and
//     returns the extended slice, like strconv.AppendInt;
//   - XLen(...) reports the encoded length, so that a caller can size a
//     buffer before appending.
//
// The package does no I/O, starts no goroutines and never allocates while
// decoding or encoding (errors included, except for a few once-per-connection
// greeting errors that carry the peer's bytes). ErrShort means "read more and
// call again"; every other error is a protocol violation that should close
// the connection.
package frame
