package sock

import "github.com/azmq/azmq/ring"

// lb load-balances outgoing messages: round-robin over the pipes, one whole
// message per turn, skipping those at their high-water mark (libzmq lb.cpp).
type lb struct {
	peers []*peer
	next  int // the peer whose turn it is
}

func (l *lb) add(pe *peer) { l.peers = append(l.peers, pe) }

func (l *lb) remove(pe *peer) {
	for i, q := range l.peers {
		if q == pe {
			l.peers = removeAt(l.peers, i)
			if l.next > i {
				l.next--
			}
			return
		}
	}
}

// push moves m to the first pipe from the current turn on that takes it and
// returns that pipe's peer, or nil with m untouched when none can. A failed
// Push marks a full queue as blocked, which is what makes it wake the socket
// once it has room again, so full pipes are tried rather than skipped.
func (l *lb) push(m *ring.Msg) *peer {
	n := len(l.peers)
	for i := 0; i < n; i++ {
		if l.next >= n {
			l.next = 0
		}
		pe := l.peers[l.next]
		l.next++
		if pe.p.Out.Push(m) == nil {
			return pe
		}
	}
	return nil
}

// fq fair-queues incoming messages: round-robin over the pipes that have
// one, one whole message per turn (libzmq fq.cpp). A detached pipe stays
// until its queued messages are read.
type fq struct {
	peers []*peer
	next  int
}

func (f *fq) add(pe *peer) { f.peers = append(f.peers, pe) }

func (f *fq) remove(pe *peer) {
	for i, q := range f.peers {
		if q == pe {
			f.removeAt(i)
			return
		}
	}
}

func (f *fq) removeAt(i int) {
	f.peers = removeAt(f.peers, i)
	if f.next > i {
		f.next--
	}
}

// pop moves the next message into m and returns the peer it came from, or
// nil with m untouched when every pipe is empty.
func (f *fq) pop(m *ring.Msg) *peer {
	for tries := len(f.peers); tries > 0; tries-- {
		if f.next >= len(f.peers) {
			f.next = 0
		}
		pe := f.peers[f.next]
		if pe.take(m) {
			f.next++
			return pe
		}
		if pe.detached {
			// Closed before detached and now empty: nothing more can come.
			f.removeAt(f.next)
			continue
		}
		f.next++
	}
	return nil
}

// any reports whether some pipe holds a message.
func (f *fq) any() bool {
	for _, pe := range f.peers {
		if pe.pending() {
			return true
		}
	}
	return false
}

// discard drops every queued message, as REQ does with stale replies.
func (f *fq) discard() {
	for i := 0; i < len(f.peers); {
		pe := f.peers[i]
		pe.dropCache()
		pe.p.In.Discard()
		if pe.detached {
			f.removeAt(i)
			continue
		}
		i++
	}
}

// removeAt deletes s[i], keeping the order (and so the round-robin turn) of
// the others, and clears the vacated slot for the GC.
func removeAt(s []*peer, i int) []*peer {
	copy(s[i:], s[i+1:])
	s[len(s)-1] = nil
	return s[:len(s)-1]
}

// recvBatch is how many messages a peer's receive cache takes from its
// queue under one lock: the sending side then rarely meets the receiving
// side on the queue's mutex, which was the cost of a message between two
// goroutines (inproc 16 B: half the time in Lock/Unlock).
const recvBatch = 16

// take moves the peer's next message into m, refilling the cache from the
// pipe when it is empty. The cache starts at one message and doubles each
// time a refill fills it, up to recvBatch: a peer that sends now and then
// (most of 10 000 on a ROUTER) keeps a small one.
func (pe *peer) take(m *ring.Msg) bool {
	if pe.cn == 0 {
		if len(pe.cache) < recvBatch && pe.p.In.Len() > len(pe.cache) {
			pe.cache = make([]ring.Msg, min(recvBatch, max(1, 2*len(pe.cache))))
		}
		batch := pe.cache
		if pe.p.In.Conflating() {
			batch = batch[:min(1, len(batch))] // what a batch holds could be replaced meanwhile
		}
		pe.ch, pe.cn = 0, pe.p.In.PopBatch(batch)
		if pe.cn == 0 {
			return false
		}
	}
	pe.cache[pe.ch].MoveTo(m)
	pe.ch++
	pe.cn--
	return true
}

// pending reports whether the peer has a message to deliver.
func (pe *peer) pending() bool { return pe.cn > 0 || pe.p.In.Len() > 0 }

// dropCache releases the messages taken from the queue but not delivered.
func (pe *peer) dropCache() {
	for ; pe.cn > 0; pe.cn-- {
		pe.cache[pe.ch].Release()
		pe.ch++
	}
}
