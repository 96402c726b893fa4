package sock

// trie is a set of byte prefixes, each with a count, arranged so that
// matching a message against every prefix costs one walk down its first
// bytes (libzmq trie.cpp). A node's children are a dense array over the
// range of bytes seen at that depth, as in libzmq.
//
// It is not safe for concurrent use; its owner guards it.
type trie struct {
	root tnode
	n    int // distinct prefixes with a count above zero
}

type tnode struct {
	refs uint32   // how many times the prefix ending here was added
	min  byte     // the byte of kids[0]
	live int      // non-nil entries of kids
	kids []*tnode // kids[i] continues the prefix with byte min+i
}

// child returns the child for byte c, creating it when create is set.
func (n *tnode) child(c byte, create bool) *tnode {
	if len(n.kids) > 0 && c >= n.min && int(c-n.min) < len(n.kids) {
		if k := n.kids[c-n.min]; k != nil || !create {
			return k
		}
	} else if !create {
		return nil
	}
	switch {
	case len(n.kids) == 0:
		n.min = c
		n.kids = make([]*tnode, 1)
	case c < n.min:
		grown := make([]*tnode, int(n.min-c)+len(n.kids))
		copy(grown[n.min-c:], n.kids)
		n.kids, n.min = grown, c
	case int(c-n.min) >= len(n.kids):
		grown := make([]*tnode, int(c-n.min)+1)
		copy(grown, n.kids)
		n.kids = grown
	}
	k := &tnode{}
	n.kids[c-n.min] = k
	n.live++
	return k
}

// drop removes the (empty) child for byte c and trims the array.
func (n *tnode) drop(c byte) {
	n.kids[c-n.min] = nil
	n.live--
	if n.live == 0 {
		n.kids, n.min = nil, 0
		return
	}
	lo := 0
	for n.kids[lo] == nil {
		lo++
	}
	hi := len(n.kids)
	for n.kids[hi-1] == nil {
		hi--
	}
	if lo > 0 || hi < len(n.kids) {
		n.kids = append([]*tnode(nil), n.kids[lo:hi]...)
		n.min += byte(lo)
	}
}

// add counts one more prefix and reports whether it is new.
func (t *trie) add(prefix []byte) bool {
	n := &t.root
	for _, c := range prefix {
		n = n.child(c, true)
	}
	n.refs++
	if n.refs == 1 {
		t.n++
		return true
	}
	return false
}

// remove counts one prefix less and reports whether its count went to zero
// (false too when the prefix was not there). Emptied nodes are freed.
func (t *trie) remove(prefix []byte) bool {
	gone, _ := t.root.remove(prefix)
	if gone {
		t.n--
	}
	return gone
}

// remove decrements the count of prefix below n; it reports whether that
// count went to zero and whether n itself is now empty and may be freed.
func (n *tnode) remove(prefix []byte) (gone, empty bool) {
	if len(prefix) == 0 {
		if n.refs == 0 {
			return false, false
		}
		n.refs--
		return n.refs == 0, n.refs == 0 && n.live == 0
	}
	k := n.child(prefix[0], false)
	if k == nil {
		return false, false
	}
	gone, empty = k.remove(prefix[1:])
	if empty {
		n.drop(prefix[0])
	}
	return gone, n.refs == 0 && n.live == 0
}

// has reports whether prefix was added and not removed as often.
func (t *trie) has(prefix []byte) bool {
	n := &t.root
	for _, c := range prefix {
		if n = n.child(c, false); n == nil {
			return false
		}
	}
	return n.refs > 0
}

// match reports whether some prefix in the trie is a prefix of data (the
// empty prefix matches everything). It does not allocate.
func (t *trie) match(data []byte) bool {
	n := &t.root
	for i := 0; ; i++ {
		if n.refs > 0 {
			return true
		}
		if i == len(data) || n.live == 0 {
			return false
		}
		c := data[i]
		if c < n.min || int(c-n.min) >= len(n.kids) {
			return false
		}
		if n = n.kids[c-n.min]; n == nil {
			return false
		}
	}
}

// len returns the number of distinct prefixes.
func (t *trie) len() int { return t.n }

// each calls f for every distinct prefix, in byte order; the slice is valid
// only during the call. f must not modify the trie.
func (t *trie) each(f func(prefix []byte)) {
	if t.n == 0 {
		return
	}
	var buf []byte
	t.root.each(&buf, f)
}

func (n *tnode) each(buf *[]byte, f func([]byte)) {
	if n.refs > 0 {
		f(*buf)
	}
	for i, k := range n.kids {
		if k == nil {
			continue
		}
		*buf = append(*buf, n.min+byte(i))
		k.each(buf, f)
		*buf = (*buf)[:len(*buf)-1]
	}
}

// prefixes returns a copy of every distinct prefix, for callers that change
// the trie while going through them.
func (t *trie) prefixes() [][]byte {
	out := make([][]byte, 0, t.n)
	t.each(func(p []byte) { out = append(out, append([]byte(nil), p...)) })
	return out
}
