package crypto

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// libzmq's well-known test keys (mechanisms.md §4.10, libzmq doc/zmq_curve.txt).
const (
	clientPublicHex = "BB88471D65E2659B30C55A5321CEBB5AAB2B70A398645C26DCA2B2FCB43FC518"
	clientPublicZ85 = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"
	clientSecretHex = "7BB864B489AFA3671FBE69101F94B38972F24816DFB01B51656B3FEC8DFD0888"
	clientSecretZ85 = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs"
	serverPublicHex = "54FCBA24E93249969316FB617C872BB0C1D1FF14800427C594CBFACF1BC2D652"
	serverPublicZ85 = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
	serverSecretHex = "8E0BDD697628B91D8F245587EE95C5B04D48963F79259877B49CD9063AEAD3B7"
	serverSecretZ85 = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
)

func TestZ85Vectors(t *testing.T) {
	tests := []struct{ hex, z85 string }{
		{"86 4F D2 6F B5 59 F7 5B", "HelloWorld"}, // RFC 32
		{"00 00 00 00", "00000"},
		{"FF FF FF FF", "%nSc0"},
		{clientPublicHex, clientPublicZ85},
		{clientSecretHex, clientSecretZ85},
		{serverPublicHex, serverPublicZ85},
		{serverSecretHex, serverSecretZ85},
	}
	for _, tt := range tests {
		bin := unhex(t, tt.hex)
		got, err := EncodeZ85(bin)
		if err != nil || got != tt.z85 {
			t.Errorf("EncodeZ85(%s) = %q, %v; want %q", tt.hex, got, err, tt.z85)
		}
		back, err := DecodeZ85(tt.z85)
		if err != nil || !bytes.Equal(back, bin) {
			t.Errorf("DecodeZ85(%q) = %x, %v", tt.z85, back, err)
		}
	}
}

func TestZ85Errors(t *testing.T) {
	for _, s := range []string{"", "0000", "%nSc1", "#####", "00000 ", "0000\"", "000000"} {
		if _, err := DecodeZ85(s); !errors.Is(err, ErrZ85) {
			t.Errorf("DecodeZ85(%q) = %v, want ErrZ85", s, err)
		}
	}
	if _, err := EncodeZ85([]byte{1, 2, 3}); !errors.Is(err, ErrZ85) {
		t.Errorf("EncodeZ85 of 3 bytes: %v", err)
	}
	_, err := DecodeZ85("00000000~0")
	if err == nil || !strings.Contains(err.Error(), "offset 8") || strings.Contains(err.Error(), "~") {
		t.Errorf("bad character error %q should name the offset and not the character", err)
	}
}

func TestKeys(t *testing.T) {
	sec, err := ParseSecretKey(serverSecretZ85)
	if err != nil {
		t.Fatal(err)
	}
	if got := sec.Public().Z85(); got != serverPublicZ85 {
		t.Fatalf("server public derived %q, want %q", got, serverPublicZ85)
	}
	csec, _ := ParseSecretKey(clientSecretZ85 + "\x00")
	if got := csec.Public().String(); got != clientPublicZ85 {
		t.Fatalf("client public derived %q", got)
	}
	raw := unhex(t, serverPublicHex)
	pub, err := ParsePublicKey(string(raw))
	if err != nil || pub.Z85() != serverPublicZ85 {
		t.Fatalf("raw public key: %v %v", pub, err)
	}
	for _, bad := range []string{"", "short", serverPublicZ85[:39] + "~", serverPublicZ85 + "x"} {
		if _, err := ParsePublicKey(bad); !errors.Is(err, ErrKey) {
			t.Errorf("ParsePublicKey(%q): %v", bad, err)
		}
	}
	// A secret never prints itself, whatever the verb.
	for _, f := range []string{"%v", "%s", "%x", "%X", "%d", "%#v", "%q", "%+v"} {
		if got := fmt.Sprintf(f, sec); strings.Contains(got, serverSecretZ85[:8]) || !strings.Contains(got, "redacted") {
			t.Errorf("Sprintf(%q, secret) = %q", f, got)
		}
	}
	if s := fmt.Sprintf("%v", struct{ K SecretKey }{sec}); !strings.Contains(s, "redacted") {
		t.Errorf("secret inside a struct printed as %q", s)
	}
	p, s, err := NewCurveKeypair()
	if err != nil || s.Public() != p || p.IsZero() || s.IsZero() {
		t.Fatalf("NewCurveKeypair: %v", err)
	}
}

// FuzzZ85 round-trips whole groups and throws arbitrary text at the
// decoder, which must never panic and must agree with the encoder.
func FuzzZ85(f *testing.F) {
	f.Add([]byte("HelloWorld"))
	f.Add([]byte("%nSc1"))
	f.Add([]byte(serverSecretZ85))
	f.Add(unhex(f, serverPublicHex))
	f.Fuzz(func(t *testing.T, b []byte) {
		if dec, err := DecodeZ85(string(b)); err == nil {
			if enc, err := EncodeZ85(dec); err != nil || enc != string(b) {
				t.Fatalf("decode/encode of %q gave %q, %v", b, enc, err)
			}
		}
		b = b[:len(b)/4*4]
		enc, err := EncodeZ85(b)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 {
			return
		}
		dec, err := DecodeZ85(enc)
		if err != nil || !bytes.Equal(dec, b) {
			t.Fatalf("round trip of %x: %x, %v", b, dec, err)
		}
	})
}
