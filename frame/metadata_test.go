package frame

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestMetadataRoundTrip(t *testing.T) {
	props := []Property{
		prop("Socket-Type", "DEALER"),
		prop("Identity", ""),
		prop("X-Long", strings.Repeat("v", 70000)),
		prop(strings.Repeat("N", 255), "x"),
	}
	var b []byte
	want := 0
	for _, p := range props {
		b = AppendProperty(b, string(p.Name), p.Value)
		want += PropertyLen(string(p.Name), len(p.Value))
	}
	if len(b) != want {
		t.Fatalf("PropertyLen sum %d, encoded %d", want, len(b))
	}
	it := NewMetadataIter(b)
	var got []Property
	for it.Next() {
		got = append(got, it.Property())
	}
	if it.Err() != nil || len(got) != len(props) {
		t.Fatalf("got %d properties, %v", len(got), it.Err())
	}
	for i := range props {
		if !bytes.Equal(got[i].Name, props[i].Name) || !bytes.Equal(got[i].Value, props[i].Value) {
			t.Fatalf("property %d differs", i)
		}
	}
	if it.Next() || it.Property().Name != nil {
		t.Fatal("Next after the end")
	}
	empty := NewMetadataIter(nil)
	if empty.Next() || empty.Err() != nil {
		t.Fatal("empty block")
	}
}

func TestMetadataRejects(t *testing.T) {
	good := AppendProperty(nil, "Socket-Type", []byte("REQ"))
	tests := []struct {
		name  string
		in    []byte
		props int // properties yielded before the error
	}{
		{"zero-length name", []byte("\x00\x00\x00\x00\x00"), 0},
		{"single trailing byte", cat(good, []byte{0x05}), 1},
		{"trailing zero byte", cat(good, []byte{0x00}), 1},
		{"name cut", []byte("\x0bSocket"), 0},
		{"value length cut", []byte("\x01A\x00\x00"), 0},
		{"value cut", []byte("\x01A\x00\x00\x00\x05abc"), 0},
		{"value length 2^31", []byte("\x01A\x80\x00\x00\x00"), 0},
		{"value length 2^32-1", []byte("\x01A\xff\xff\xff\xff"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := NewMetadataIter(tt.in)
			n := 0
			for it.Next() {
				n++
			}
			if n != tt.props || !errors.Is(it.Err(), ErrMalformed) {
				t.Fatalf("%d properties, err %v", n, it.Err())
			}
			if it.Next() {
				t.Fatal("Next after an error")
			}
		})
	}
	// Every proper prefix of a valid block that cuts a property is malformed.
	for n := 1; n < len(good); n++ {
		it := NewMetadataIter(good[:n])
		for it.Next() {
		}
		if !errors.Is(it.Err(), ErrMalformed) {
			t.Fatalf("prefix %d: %v", n, it.Err())
		}
	}
}

func TestMetadataViewsClipped(t *testing.T) {
	b := cat(AppendProperty(nil, "A", []byte("1")), AppendProperty(nil, "B", []byte("2")))
	orig := bytes.Clone(b)
	it := NewMetadataIter(b)
	for it.Next() {
		p := it.Property()
		_ = append(p.Name, 'Q')
		_ = append(p.Value, 'Q')
	}
	if !bytes.Equal(b, orig) {
		t.Fatalf("append through a view changed the block: %q", b)
	}
}

func TestEqualFoldName(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"Socket-Type", "Socket-Type", true},
		{"socket-type", "Socket-Type", true},
		{"SOCKET-TYPE", "socket-type", true},
		{"Socket-Typ", "Socket-Type", false},
		{"Socket_Type", "Socket-Type", false},
		{"", "", true},
		{"[", "{", false}, // differ by 0x20 but are not letters
		{"@", "`", false},
		{"\xc4", "\xe4", false}, // Latin-1 Ä/ä are not ASCII
	}
	for _, tt := range tests {
		if got := EqualFoldName([]byte(tt.a), tt.b); got != tt.want {
			t.Errorf("EqualFoldName(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}

func TestAppendPropertyBadNamePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	AppendProperty(nil, "", nil)
}
