package frame

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// READY frames captured from libzmq 4.3.4 (zmtp.md §17.1, §17.4).
const (
	readyRouterHex = `04 29 05 52 45 41 44 59
		0b 53 6f 63 6b 65 74 2d 54 79 70 65 00 00 00 06 52 4f 55 54 45 52
		08 49 64 65 6e 74 69 74 79 00 00 00 00`
	readyDealerHex = `04 29 05 52 45 41 44 59
		0b 53 6f 63 6b 65 74 2d 54 79 70 65 00 00 00 06 44 45 41 4c 45 52
		08 49 64 65 6e 74 69 74 79 00 00 00 00`
	readyDealerABCHex = `04 2c 05 52 45 41 44 59
		0b 53 6f 63 6b 65 74 2d 54 79 70 65 00 00 00 06 44 45 41 4c 45 52
		08 49 64 65 6e 74 69 74 79 00 00 00 03 61 62 63`
	readySubHex = `04 19 05 52 45 41 44 59
		0b 53 6f 63 6b 65 74 2d 54 79 70 65 00 00 00 03 53 55 42`
)

// appendReady builds a READY frame with our encoders, the way a mechanism does.
func appendReady(dst []byte, props ...Property) []byte {
	n := 0
	for _, p := range props {
		n += PropertyLen(string(p.Name), len(p.Value))
	}
	dst = AppendCommandHeader(dst, NameReady, n)
	for _, p := range props {
		dst = AppendProperty(dst, string(p.Name), p.Value)
	}
	return dst
}

func prop(name, value string) Property {
	return Property{Name: []byte(name), Value: []byte(value)}
}

func TestReadyGolden(t *testing.T) {
	tests := []struct {
		name  string
		hex   string
		props []Property
	}{
		{"ROUTER", readyRouterHex, []Property{prop(PropSocketType, "ROUTER"), prop(PropIdentity, "")}},
		{"DEALER", readyDealerHex, []Property{prop(PropSocketType, "DEALER"), prop(PropIdentity, "")}},
		{"DEALER abc", readyDealerABCHex, []Property{prop(PropSocketType, "DEALER"), prop(PropIdentity, "abc")}},
		{"SUB", readySubHex, []Property{prop(PropSocketType, "SUB")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wire := unhex(t, tt.hex)
			if got := appendReady(nil, tt.props...); !bytes.Equal(got, wire) {
				t.Fatalf("encode\n got %x\nwant %x", got, wire)
			}
			h, err := ParseHeader(wire)
			if err != nil || !h.Command() || h.More() || int(h.Size) != len(wire)-h.Len {
				t.Fatalf("header %+v, %v", h, err)
			}
			cmd, err := ParseCommand(wire[h.Len:])
			if err != nil || cmd.Kind != CmdReady || string(cmd.Name) != NameReady {
				t.Fatalf("command %+v, %v", cmd, err)
			}
			it := NewMetadataIter(cmd.Data)
			i := 0
			for ; it.Next(); i++ {
				p := it.Property()
				if i >= len(tt.props) || !bytes.Equal(p.Name, tt.props[i].Name) || !bytes.Equal(p.Value, tt.props[i].Value) {
					t.Fatalf("property %d: %q=%q", i, p.Name, p.Value)
				}
			}
			if it.Err() != nil || i != len(tt.props) {
				t.Fatalf("walked %d properties, err %v", i, it.Err())
			}
		})
	}
}

// zmtp.md §5 (name bytes), §10 (SUBSCRIBE/CANCEL), §11 (PING/PONG), §12 (JOIN/LEAVE), §8 (ERROR).
func TestCommandGolden(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
		kind CommandKind
		data string
	}{
		{"SUBSCRIBE AB", AppendCommand(nil, NameSubscribe, []byte("AB")), "04 0c 09 53 55 42 53 43 52 49 42 45 41 42", CmdSubscribe, "AB"},
		{"CANCEL AB", AppendCommand(nil, NameCancel, []byte("AB")), "04 09 06 43 41 4e 43 45 4c 41 42", CmdCancel, "AB"},
		{"SUBSCRIBE all", AppendCommand(nil, NameSubscribe, nil), "04 0a 09 53 55 42 53 43 52 49 42 45", CmdSubscribe, ""},
		{"CANCEL all", AppendCommand(nil, NameCancel), "04 07 06 43 41 4e 43 45 4c", CmdCancel, ""},
		{"PING ttl 123", AppendPing(nil, 123, nil), "04 07 04 50 49 4e 47 00 7b", CmdPing, "\x00\x7b"},
		{"PING ctx", AppendPing(nil, 0, []byte("ctx")), "04 0a 04 50 49 4e 47 00 00 63 74 78", CmdPing, "\x00\x00ctx"},
		{"PONG ctx", AppendPong(nil, []byte("ctx")), "04 08 04 50 4f 4e 47 63 74 78", CmdPong, "ctx"},
		{"PONG from libzmq", AppendPong(nil, nil), "04 05 04 50 4f 4e 47", CmdPong, ""},
		{"ERROR 400", AppendError(nil, "400"), "04 0a 05 45 52 52 4f 52 03 34 30 30", CmdError, "\x03400"},
		{"JOIN g", AppendCommand(nil, NameJoin, []byte("g")), "04 06 04 4a 4f 49 4e 67", CmdJoin, "g"},
		{"LEAVE g", AppendCommand(nil, NameLeave, []byte("g")), "04 07 05 4c 45 41 56 45 67", CmdLeave, "g"},
		{"data in parts", AppendCommand(nil, NameMessage, []byte("ab"), nil, []byte("c")), "04 0b 07 4d 45 53 53 41 47 45 61 62 63", CmdMessage, "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := unhex(t, tt.want)
			if !bytes.Equal(tt.got, want) {
				t.Fatalf("encode\n got %x\nwant %x", tt.got, want)
			}
			h, err := ParseHeader(want)
			if err != nil {
				t.Fatal(err)
			}
			cmd, err := ParseCommand(want[h.Len:])
			if err != nil || cmd.Kind != tt.kind || string(cmd.Data) != tt.data {
				t.Fatalf("parsed %v %q %q, %v", cmd.Kind, cmd.Name, cmd.Data, err)
			}
			if CommandLen(string(cmd.Name), len(cmd.Data)) != len(want) {
				t.Fatalf("CommandLen %d, want %d", CommandLen(string(cmd.Name), len(cmd.Data)), len(want))
			}
		})
	}
}

func TestCommandKinds(t *testing.T) {
	for k := CmdReady; k < numCommandKinds; k++ {
		name := k.String()
		cmd, err := ParseCommand(append([]byte{byte(len(name))}, name...))
		if err != nil || cmd.Kind != k || len(cmd.Data) != 0 {
			t.Fatalf("%s: %+v, %v", name, cmd, err)
		}
		// Case-sensitive, as libzmq's memcmp.
		lower := strings.ToLower(name)
		if cmd, _ := ParseCommand(append([]byte{byte(len(lower))}, lower...)); cmd.Kind != CmdUnknown {
			t.Fatalf("%s matched %q", lower, name)
		}
	}
	if CmdUnknown.String() != "UNKNOWN" || CommandKind(200).String() != "CommandKind(200)" {
		t.Fatal("String of unknown kinds")
	}
	cmd, err := ParseCommand([]byte("\x03FOOxyz"))
	if err != nil || cmd.Kind != CmdUnknown || string(cmd.Name) != "FOO" || string(cmd.Data) != "xyz" {
		t.Fatalf("unknown command: %+v, %v", cmd, err)
	}
}

func TestParseCommandRejects(t *testing.T) {
	for _, in := range []string{"", "\x00", "\x00READY", "\x05READ", "\x01", "\xffREADY"} {
		if _, err := ParseCommand([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Fatalf("%q: err %v, want ErrMalformed", in, err)
		}
	}
}

// A view must not let an append overwrite the bytes after it.
func TestCommandViewsClipped(t *testing.T) {
	body := []byte("\x03FOOxyz")
	cmd, _ := ParseCommand(body[:5])
	_ = append(cmd.Data, 'Q')
	_ = append(cmd.Name, 'Q')
	if string(body) != "\x03FOOxyz" {
		t.Fatalf("append through a view changed the buffer: %q", body)
	}
}

func TestLongCommand(t *testing.T) {
	// 246-byte prefix: the body is 256 bytes, where libzmq 4.3.4 forgot LONG.
	for _, n := range []int{245, 246, 255, 1000} {
		prefix := fill(n)
		wire := AppendCommand(nil, NameSubscribe, prefix)
		body := 1 + len(NameSubscribe) + n
		if (wire[0] == FlagCommand|FlagLong) != (body > MaxShortSize) || len(wire) != CommandLen(NameSubscribe, n) {
			t.Fatalf("prefix %d: flags %#x len %d", n, wire[0], len(wire))
		}
		h, _ := ParseHeader(wire)
		cmd, err := ParseCommand(wire[h.Len:])
		if err != nil || cmd.Kind != CmdSubscribe || !bytes.Equal(cmd.Data, prefix) {
			t.Fatalf("prefix %d: %v", n, err)
		}
	}
}

func TestParseError(t *testing.T) {
	tests := []struct {
		in, reason string
		ok         bool
	}{
		{"\x03400", "400", true},
		{"\x00", "", true},
		{"\x03400trailing", "400", true},
		{"", "", false},
		{"\x0440", "", false},
	}
	for _, tt := range tests {
		reason, err := ParseError([]byte(tt.in))
		if tt.ok != (err == nil) || string(reason) != tt.reason {
			t.Fatalf("%q: %q, %v", tt.in, reason, err)
		}
		if !tt.ok && !errors.Is(err, ErrMalformed) {
			t.Fatalf("%q: %v is not ErrMalformed", tt.in, err)
		}
	}
	long := AppendError(nil, strings.Repeat("x", 300))
	h, _ := ParseHeader(long)
	cmd, _ := ParseCommand(long[h.Len:])
	if reason, err := ParseError(cmd.Data); err != nil || len(reason) != MaxErrorReason {
		t.Fatalf("long reason: %d, %v", len(reason), err)
	}
}

func TestParsePing(t *testing.T) {
	tests := []struct {
		in  string
		ttl uint16
		ctx string
		ok  bool
	}{
		{"\x00\x7b", 123, "", true},
		{"\x30\x39ctx", 0x3039, "ctx", true},
		{"\x00\x00" + strings.Repeat("c", 16), 0, strings.Repeat("c", 16), true},
		{"", 0, "", false},
		{"\x00", 0, "", false},
		{"\x00\x01" + strings.Repeat("c", 16) + "xyz", 1, strings.Repeat("c", 16), true}, // truncated, as libzmq
	}
	for _, tt := range tests {
		ttl, ctx, err := ParsePing([]byte(tt.in))
		if tt.ok != (err == nil) || ttl != tt.ttl || string(ctx) != tt.ctx {
			t.Fatalf("%q: %d %q %v", tt.in, ttl, ctx, err)
		}
		if !tt.ok && !errors.Is(err, ErrMalformed) {
			t.Fatalf("%q: %v is not ErrMalformed", tt.in, err)
		}
	}
	// Encoders truncate contexts to 16 bytes, as libzmq's PONG does.
	ctx := fill(20)
	for _, wire := range [][]byte{AppendPing(nil, 1, ctx), AppendPong(nil, ctx)} {
		if len(wire) != CommandLen(NamePing, 2+16) && len(wire) != CommandLen(NamePong, 16) {
			t.Fatalf("not truncated: %x", wire)
		}
	}
}

func TestAppendCommandBadNamePanics(t *testing.T) {
	for _, name := range []string{"", strings.Repeat("N", 256)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Fatalf("no panic for %d-byte name", len(name))
				}
			}()
			AppendCommand(nil, name)
		}()
	}
}
