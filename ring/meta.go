package ring

import (
	"net"
	"strings"

	"github.com/azmq/azmq/frame"
)

// PropPeerAddress is the property libzmq's zmq_msg_gets answers with the
// peer's address: the IP alone for tcp (VERIFIED "127.0.0.1").
const PropPeerAddress = "Peer-Address"

// Meta is what a received message knows of the peer that sent it: its
// address and the properties of its handshake. It is immutable once made, so
// every message from one connection shares one Meta by pointer.
type Meta struct {
	// Address is the peer's transport address: "ip:port" for tcp, what the
	// transport knows for ipc, "" for inproc.
	Address string
	// Props are the handshake properties in wire order (Socket-Type,
	// Identity, User-Id once security adds it, X- application metadata).
	Props []frame.Property

	values []string // Props' values as strings, so lookups do not allocate
}

// NewMeta returns the Meta of a peer at address that announced props; props
// must not change afterwards.
func NewMeta(address string, props []frame.Property) *Meta {
	md := &Meta{Address: address, Props: props, values: make([]string, len(props))}
	for i, p := range props {
		md.values[i] = string(p.Value)
	}
	return md
}

// Property returns the value of the first property called name, compared
// case-insensitively as RFC 23 says (libzmq 4.3.4 compares exactly, so a
// name it finds is found here too). "Peer-Address" answers as libzmq does:
// the IP without its port for tcp, the address as is otherwise.
func (md *Meta) Property(name string) (string, bool) {
	if md == nil {
		return "", false
	}
	for i, p := range md.Props {
		if frame.EqualFoldName(p.Name, name) {
			return md.values[i], true
		}
	}
	if strings.EqualFold(name, PropPeerAddress) && md.Address != "" {
		if host, _, err := net.SplitHostPort(md.Address); err == nil {
			return host, true
		}
		return md.Address, true
	}
	return "", false
}

// PeerAddress returns the address of the peer that sent the message, ""
// when unknown (inproc, or a message the application made).
func (m *Msg) PeerAddress() string {
	if m.meta == nil {
		return ""
	}
	return m.meta.Address
}

// Property returns a handshake property of the peer that sent the message,
// like libzmq's zmq_msg_gets: "Socket-Type", "Identity", "User-Id" (under
// a security mechanism with ZAP), "Peer-Address", or an "X-" property the
// peer's application added. ok is false if the peer sent no such property
// or the message was not received from a peer.
func (m *Msg) Property(name string) (value string, ok bool) { return m.meta.Property(name) }

// Meta returns the peer's metadata shared by its messages, nil if unknown.
func (m *Msg) Meta() *Meta { return m.meta }
