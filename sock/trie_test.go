package sock

import (
	"slices"
	"testing"
)

func TestTrie(t *testing.T) {
	var tr trie
	if tr.match([]byte("x")) || tr.match(nil) {
		t.Fatal("empty trie matches")
	}
	if !tr.add([]byte("ab")) || tr.add([]byte("ab")) {
		t.Fatal("add new/dup")
	}
	if !tr.add([]byte("b")) || !tr.add([]byte("abcd")) || !tr.add([]byte("\x00z")) || !tr.add([]byte("\xff")) {
		t.Fatal("add")
	}
	for _, tt := range []struct {
		data string
		want bool
	}{{"ab", true}, {"abc", true}, {"a", false}, {"", false}, {"b", true}, {"bz", true}, {"c", false},
		{"\x00", false}, {"\x00z1", true}, {"\xff\x01", true}, {"\xfe", false}} {
		if got := tr.match([]byte(tt.data)); got != tt.want {
			t.Errorf("match(%q) = %v, want %v", tt.data, got, tt.want)
		}
	}
	if tr.len() != 5 {
		t.Fatalf("len = %d", tr.len())
	}
	var got []string
	tr.each(func(p []byte) { got = append(got, string(p)) })
	if want := []string{"\x00z", "ab", "abcd", "b", "\xff"}; !slices.Equal(got, want) {
		t.Fatalf("each = %q, want %q", got, want)
	}
	if tr.remove([]byte("ab")) {
		t.Fatal("first remove of a doubled prefix went to zero")
	}
	if !tr.remove([]byte("ab")) || tr.remove([]byte("ab")) || tr.remove([]byte("zz")) || tr.remove([]byte("abc")) {
		t.Fatal("remove")
	}
	if tr.match([]byte("abc")) || !tr.match([]byte("abcde")) || !tr.has([]byte("abcd")) || tr.has([]byte("ab")) {
		t.Fatal("after remove")
	}
	// The empty prefix matches everything.
	tr.add(nil)
	if !tr.match(nil) || !tr.match([]byte("q")) {
		t.Fatal("empty prefix")
	}
	for _, p := range tr.prefixes() {
		if !tr.remove(p) {
			t.Fatalf("remove %q", p)
		}
	}
	if tr.len() != 0 || tr.root.live != 0 || tr.root.kids != nil || tr.match([]byte("abcd")) {
		t.Fatalf("not emptied: %+v", tr.root)
	}
}

func TestTrieRandom(t *testing.T) {
	var tr trie
	ref := map[string]int{}
	rnd := uint32(1)
	next := func() uint32 { rnd = rnd*1664525 + 1013904223; return rnd >> 8 }
	for i := 0; i < 20000; i++ {
		p := make([]byte, next()%4)
		for j := range p {
			p[j] = byte(next() % 5 * 60)
		}
		if next()%2 == 0 {
			if tr.add(p) != (ref[string(p)] == 0) {
				t.Fatalf("add %q", p)
			}
			ref[string(p)]++
		} else {
			c := ref[string(p)]
			if tr.remove(p) != (c == 1) {
				t.Fatalf("remove %q with count %d", p, c)
			}
			if c > 0 {
				ref[string(p)]--
			}
		}
		d := make([]byte, next()%5)
		for j := range d {
			d[j] = byte(next() % 5 * 60)
		}
		want := false
		for k, c := range ref {
			if c > 0 && len(k) <= len(d) && string(d[:len(k)]) == k {
				want = true
			}
		}
		if tr.match(d) != want {
			t.Fatalf("match %q = %v", d, !want)
		}
	}
}

func BenchmarkTrieMatch(b *testing.B) {
	var tr trie
	for _, p := range []string{"weather.", "news.sport.", "news.politics.", "stock.AAPL", "stock.GOOG", "x"} {
		tr.add([]byte(p))
	}
	hit, miss := []byte("stock.GOOG 1234.5"), []byte("stock.MSFT 1.0")
	b.ReportAllocs()
	for b.Loop() {
		if !tr.match(hit) || tr.match(miss) {
			b.Fatal("match")
		}
	}
}
