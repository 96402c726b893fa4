package crypto

import (
	"strings"
	"testing"
)

// The X matrix of zmtp.md §13, row = ours, column = peer.
const compatMatrix = `
          REQ REP DEA ROU PUB XPU SUB XSU PSH PUL PAI CLI SRV RAD DSH SCA GAT PEE CHA
REQ        .   X   .   X   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
REP        X   .   X   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
DEALER     .   X   X   X   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
ROUTER     X   .   X   X   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .
PUB        .   .   .   .   .   .   X   X   .   .   .   .   .   .   .   .   .   .   .
XPUB       .   .   .   .   .   .   X   X   .   .   .   .   .   .   .   .   .   .   .
SUB        .   .   .   .   X   X   .   .   .   .   .   .   .   .   .   .   .   .   .
XSUB       .   .   .   .   X   X   .   .   .   .   .   .   .   .   .   .   .   .   .
PUSH       .   .   .   .   .   .   .   .   .   X   .   .   .   .   .   .   .   .   .
PULL       .   .   .   .   .   .   .   .   X   .   .   .   .   .   .   .   .   .   .
PAIR       .   .   .   .   .   .   .   .   .   .   X   .   .   .   .   .   .   .   .
CLIENT     .   .   .   .   .   .   .   .   .   .   .   .   X   .   .   .   .   .   .
SERVER     .   .   .   .   .   .   .   .   .   .   .   X   .   .   .   .   .   .   .
RADIO      .   .   .   .   .   .   .   .   .   .   .   .   .   .   X   .   .   .   .
DISH       .   .   .   .   .   .   .   .   .   .   .   .   .   X   .   .   .   .   .
SCATTER    .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   X   .   .
GATHER     .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   X   .   .   .
PEER       .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   X   .
CHANNEL    .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   X
`

func TestCompatibleMatrix(t *testing.T) {
	lines := strings.Split(strings.TrimSpace(compatMatrix), "\n")[1:]
	var types []string
	for _, l := range lines {
		types = append(types, strings.Fields(l)[0])
	}
	if len(types) != 19 {
		t.Fatalf("%d types in the matrix", len(types))
	}
	for i, l := range lines {
		cells := strings.Fields(l)[1:]
		for j, c := range cells {
			ours, peer := types[i], types[j]
			if got, want := Compatible(ours, peer), c == "X"; got != want {
				t.Errorf("Compatible(%s, %s) = %v, want %v", ours, peer, got, want)
			}
		}
	}
	// Case-sensitive, unknown and non-ZMTP types never match (zmtp.md §13).
	for _, pair := range [][2]string{
		{"ROUTER", "dealer"}, {"router", "DEALER"}, {"STREAM", "STREAM"},
		{"DGRAM", "DGRAM"}, {"", ""}, {"REQ", ""}, {"", "REQ"}, {"REQ", "REP "},
	} {
		if Compatible(pair[0], pair[1]) {
			t.Errorf("Compatible(%q, %q) = true", pair[0], pair[1])
		}
	}
}
