// Package crypto holds the ZMTP security mechanisms as sans-I/O handshake
// state machines (RFC 23 §"Security mechanisms"): NULL, PLAIN (RFC 24) and
// CURVE (RFC 25/26) as libzmq 4.3 speaks them, Z85 keys (RFC 32) and the
// ZAP request and reply (RFC 27).
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
// may reuse that buffer as soon as Next returns. A refusing server appends
// its ERROR to dst and returns an error at once: the engine writes what was
// appended before it closes.
//
// Security servers consult ZAP through Config.ZAP, synchronously, from Start
// (NULL) or Next (PLAIN after HELLO, CURVE after INITIATE). CURVE traffic is
// sealed and opened in place: Encode copies the frame once into dst and
// encrypts it there, Decode decrypts inside the received command, so the
// per-message path allocates nothing.
package crypto
