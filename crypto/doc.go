// Package crypto holds the ZMTP security mechanisms as sans-I/O handshake
// state machines (RFC 23 §"Security mechanisms"; NULL now, PLAIN and CURVE
// later).
//
// A mechanism never touches a connection. After both greetings have been
// exchanged the engine calls Start and writes the bytes it returns; then it
// decodes each handshake command it reads (frame.ParseHeader,
// frame.ParseCommand) and passes it to Next, writing whatever Next appends,
// until Next reports done. From then on traffic frames go through Encode and,
// when Encrypted is true, Decode. Because the state machine only sees
// commands and returns bytes, tests drive it with byte transcripts.
//
// Peer metadata is copied out of the read buffer during Next, so the engine
// may reuse that buffer as soon as Next returns.
package crypto
