package frame

import "fmt"

// GreetingSize is the length of a ZMTP 3.x greeting (RFC 23 §"Greeting").
const GreetingSize = 64

// Version we send: libzmq 4.3.3+ also says 3.1 (RFC 37).
const (
	// VersionMajor is the major version we put in our greeting.
	VersionMajor = 3
	// VersionMinor is the minor version we put in our greeting.
	VersionMinor = 1
)

// MechanismSize is the width of the NUL-padded mechanism field.
const MechanismSize = 20

// Greeting layout (RFC 23 §"Greeting", zmtp.md §2):
//
//	0       0xFF            signature head
//	1..8    padding         we send zeros; libzmq sends len(routing id)+1; never read
//	9       0x7F            signature tail; only bit 0 is checked (as libzmq does)
//	10      major           3
//	11      minor           1 (0 from a ZMTP 3.0 peer)
//	12..31  mechanism       ASCII, NUL padded
//	32      as-server       1 for a PLAIN/CURVE server (libzmq always sends 0; never read)
//	33..63  filler          zeros; never read
const (
	offSigTail  = 9
	offMajor    = 10
	offMinor    = 11
	offMech     = 12
	offAsServer = 32
)

// zeros is read-only padding for encoders; it saves a loop of appends.
var zeros [GreetingSize]byte

// Greeting is a decoded peer greeting.
type Greeting struct {
	Major, Minor byte                // the peer's protocol version
	Mechanism    [MechanismSize]byte // mechanism name, NUL padded, as on the wire
	AsServer     bool                // as-server byte was non-zero (informational only)
}

// MechanismName returns the mechanism name without its NUL padding; the
// result is a view into g.
func (g *Greeting) MechanismName() []byte {
	n := MechanismSize
	for n > 0 && g.Mechanism[n-1] == 0 {
		n--
	}
	return g.Mechanism[:n:n]
}

// MechanismIs reports whether the peer's mechanism field equals name padded
// with NULs: zmtp.md §3.4 requires all 20 bytes to match ours.
func (g *Greeting) MechanismIs(name string) bool {
	if len(name) > MechanismSize {
		return false
	}
	for i := range MechanismSize {
		var want byte
		if i < len(name) {
			want = name[i]
		}
		if g.Mechanism[i] != want {
			return false
		}
	}
	return true
}

// AppendGreeting appends our 64-byte greeting (version 3.1, zero padding,
// signature tail 0x7F) announcing mechanism. The name must fit in 20 bytes.
func AppendGreeting(dst []byte, mechanism string, asServer bool) []byte {
	if len(mechanism) > MechanismSize {
		panic("frame: mechanism name longer than 20 bytes")
	}
	start := len(dst)
	dst = append(dst, 0xFF)
	dst = append(dst, zeros[:8]...)
	dst = append(dst, 0x7F, VersionMajor, VersionMinor)
	dst = append(dst, mechanism...)
	dst = append(dst, zeros[:GreetingSize-offMech-len(mechanism)]...)
	if asServer {
		dst[start+offAsServer] = 1
	}
	return dst
}

// ParseGreeting decodes the greeting at the start of b. It decides as early
// as the bytes allow (zmtp.md §3.4): a wrong byte 0 or 9 gives ErrSignature
// and a major below 3 ErrVersion even when fewer than 64 bytes are present;
// otherwise an incomplete greeting gives ErrShort. Padding, as-server and
// filler are never validated, because libzmq fills them differently from the
// RFC. Bytes after the 64th are ignored: a READY may follow in the same read.
func ParseGreeting(b []byte) (Greeting, error) {
	if len(b) == 0 {
		return Greeting{}, ErrShort
	}
	if b[0] != 0xFF {
		return Greeting{}, errSigHead
	}
	if len(b) <= offSigTail {
		return Greeting{}, ErrShort
	}
	if b[offSigTail]&0x01 == 0 {
		return Greeting{}, errSigTail
	}
	if len(b) <= offMajor {
		return Greeting{}, ErrShort
	}
	if b[offMajor] < VersionMajor {
		return Greeting{}, fmt.Errorf("%w: peer major version %d, need 3 or later", ErrVersion, b[offMajor])
	}
	if len(b) < GreetingSize {
		return Greeting{}, ErrShort
	}
	g := Greeting{
		Major:    b[offMajor],
		Minor:    b[offMinor],
		AsServer: b[offAsServer] != 0,
	}
	copy(g.Mechanism[:], b[offMech:offMech+MechanismSize])
	return g, nil
}
