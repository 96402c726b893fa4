package frame

import "strconv"

// Command names as they appear on the wire (RFC 23 §"Commands", RFC 37).
// Names are compared byte-exactly, as libzmq does.
const (
	// NameReady is the NULL/PLAIN/CURVE READY command (metadata exchange).
	NameReady = "READY"
	// NameError is the ERROR command: the peer refuses the handshake.
	NameError = "ERROR"
	// NameSubscribe is the ZMTP 3.1 SUBSCRIBE command.
	NameSubscribe = "SUBSCRIBE"
	// NameCancel is the ZMTP 3.1 CANCEL command.
	NameCancel = "CANCEL"
	// NamePing is the ZMTP 3.1 heartbeat request.
	NamePing = "PING"
	// NamePong is the ZMTP 3.1 heartbeat reply.
	NamePong = "PONG"
	// NameHello is the PLAIN/CURVE client's first handshake command.
	NameHello = "HELLO"
	// NameWelcome is the PLAIN/CURVE server's answer to HELLO.
	NameWelcome = "WELCOME"
	// NameInitiate is the PLAIN/CURVE client's metadata command.
	NameInitiate = "INITIATE"
	// NameMessage is the CURVE command that carries one encrypted frame.
	NameMessage = "MESSAGE"
	// NameJoin is the draft DISH→RADIO group join.
	NameJoin = "JOIN"
	// NameLeave is the draft DISH→RADIO group leave.
	NameLeave = "LEAVE"
)

// CommandKind identifies a known command name, so that callers switch on a
// small integer instead of comparing strings.
type CommandKind uint8

// Known commands; CmdUnknown is any other name (ignored in traffic, as
// libzmq does).
const (
	CmdUnknown   CommandKind = iota // a name not listed here
	CmdReady                        // READY
	CmdError                        // ERROR
	CmdSubscribe                    // SUBSCRIBE
	CmdCancel                       // CANCEL
	CmdPing                         // PING
	CmdPong                         // PONG
	CmdHello                        // HELLO
	CmdWelcome                      // WELCOME
	CmdInitiate                     // INITIATE
	CmdMessage                      // MESSAGE
	CmdJoin                         // JOIN
	CmdLeave                        // LEAVE
	numCommandKinds
)

// commandNames is the lookup table of ParseCommand and String, indexed by kind.
var commandNames = [numCommandKinds]string{
	CmdUnknown:   "UNKNOWN",
	CmdReady:     NameReady,
	CmdError:     NameError,
	CmdSubscribe: NameSubscribe,
	CmdCancel:    NameCancel,
	CmdPing:      NamePing,
	CmdPong:      NamePong,
	CmdHello:     NameHello,
	CmdWelcome:   NameWelcome,
	CmdInitiate:  NameInitiate,
	CmdMessage:   NameMessage,
	CmdJoin:      NameJoin,
	CmdLeave:     NameLeave,
}

// String returns the command name, "UNKNOWN" for CmdUnknown.
func (k CommandKind) String() string {
	if k < numCommandKinds {
		return commandNames[k]
	}
	return "CommandKind(" + strconv.Itoa(int(k)) + ")"
}

// Command is a decoded command body; Name and Data are views into it.
type Command struct {
	Kind CommandKind // CmdUnknown for a name not in the table
	Name []byte      // the name as received
	Data []byte      // everything after the name
}

// maxCommandName is the longest known name (SUBSCRIBE); longer names are
// unknown without a look.
const maxCommandName = 9

// kindsByLen indexes the table by name length, so a lookup compares against
// at most four names; built once from commandNames so the two cannot drift.
var kindsByLen = func() (t [maxCommandName + 1][]CommandKind) {
	for k := CmdReady; k < numCommandKinds; k++ {
		n := len(commandNames[k])
		t[n] = append(t[n], k)
	}
	return t
}()

// lookupCommand maps a name to its kind without allocating: the string
// conversion in a comparison is free.
func lookupCommand(name []byte) CommandKind {
	if len(name) > maxCommandName {
		return CmdUnknown
	}
	for _, k := range kindsByLen[len(name)] {
		if string(name) == commandNames[k] {
			return k
		}
	}
	return CmdUnknown
}

// ParseCommand decodes the body of a command frame (RFC 23 §"Commands";
// the ABNF, not the prose, is right: zmtp.md §5):
//
//	name-len(1, 1..255) name(name-len) data(rest)
//
// An unknown name is not an error (libzmq ignores unknown commands in
// traffic); an empty body, a zero name length or a body shorter than its name
// is ErrMalformed. Name and Data have their capacity clipped so that an
// append by the caller cannot overwrite the bytes that follow.
func ParseCommand(body []byte) (Command, error) {
	if len(body) == 0 {
		return Command{}, errCmdEmpty
	}
	n := int(body[0])
	if n == 0 {
		return Command{}, errCmdNameZero
	}
	if len(body) < 1+n {
		return Command{}, errCmdNameShort
	}
	name := body[1 : 1+n : 1+n]
	return Command{
		Kind: lookupCommand(name),
		Name: name,
		Data: body[1+n : len(body) : len(body)],
	}, nil
}

// checkName panics on a name that cannot be length-prefixed; names are
// program constants, so this is a programming error, not a peer's.
func checkName(name string) {
	if len(name) == 0 || len(name) > 255 {
		panic("frame: name length must be 1..255: " + strconv.Quote(name))
	}
}

// CommandLen returns the length of the whole command frame (header, name
// length, name and dataLen bytes of data).
func CommandLen(name string, dataLen int) int {
	body := 1 + len(name) + dataLen
	return HeaderLen(body) + body
}

// AppendCommandHeader appends the frame header, name length and name of a
// command whose data is dataLen bytes; the caller appends the data itself.
// It lets mechanisms write metadata straight after the name without a
// temporary buffer.
func AppendCommandHeader(dst []byte, name string, dataLen int) []byte {
	checkName(name)
	dst = AppendHeader(dst, FlagCommand, 1+len(name)+dataLen)
	dst = append(dst, byte(len(name)))
	return append(dst, name...)
}

// AppendCommand appends a whole command frame whose data is the
// concatenation of data. The LONG form is used when the body exceeds 255
// bytes (libzmq 4.3.4 got this wrong for SUBSCRIBE, zmtp.md §10).
func AppendCommand(dst []byte, name string, data ...[]byte) []byte {
	n := 0
	for _, d := range data {
		n += len(d)
	}
	dst = AppendCommandHeader(dst, name, n)
	for _, d := range data {
		dst = append(dst, d...)
	}
	return dst
}
