package engine

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

var (
	// ErrEndpoint is a malformed endpoint string.
	ErrEndpoint = errors.New("azmq: invalid endpoint")
	// ErrTransport is an endpoint whose transport is unknown or not built in.
	ErrTransport = errors.New("azmq: transport not supported")
)

// Endpoint is a parsed "transport://address".
type Endpoint struct {
	Transport string // "tcp" or "ipc"
	Host      string // tcp: as written, brackets removed; "" for a bind to every interface
	Port      int    // tcp: 0 is an ephemeral port (bind only)
	Path      string // ipc: a file path, "@name" in Linux's abstract namespace, "*" for a fresh one (bind only)
}

// Network returns the name net.Dial and net.Listen know the transport by.
func (e Endpoint) Network() string {
	if e.Transport == "ipc" {
		return "unix"
	}
	return "tcp"
}

// Addr returns the address in the form net.Dial and net.Listen take.
func (e Endpoint) Addr() string {
	if e.Transport == "ipc" {
		return e.Path
	}
	return net.JoinHostPort(e.Host, strconv.Itoa(e.Port))
}

// Abstract reports an ipc endpoint in Linux's abstract namespace, which has
// no file to create or remove.
func (e Endpoint) Abstract() bool { return strings.HasPrefix(e.Path, "@") }

// String returns the endpoint in ZeroMQ form, as libzmq's LAST_ENDPOINT
// prints it: a bind to every interface shows 0.0.0.0.
func (e Endpoint) String() string {
	if e.Transport == "ipc" {
		return "ipc://" + e.Path
	}
	host := e.Host
	if host == "" {
		host = "0.0.0.0"
	}
	return e.Transport + "://" + net.JoinHostPort(host, strconv.Itoa(e.Port))
}

// ParseEndpoint parses an endpoint for Bind (bind true) or Connect. Bind takes
// "*" or a numeric address as the interface and "*" or 0 for an ephemeral
// port; Connect takes host names and needs a real port (sockets.md §10).
func ParseEndpoint(s string, bind bool) (Endpoint, error) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return Endpoint{}, fmt.Errorf("%w %q: want transport://address", ErrEndpoint, s)
	}
	switch scheme {
	case "tcp":
	case "ipc":
		return parseIPC(s, rest, bind)
	case "inproc":
		return Endpoint{}, fmt.Errorf("%w: %q belongs to a context's inproc registry, not the engine", ErrTransport, s)
	default:
		return Endpoint{}, fmt.Errorf("%w: %q in %q", ErrTransport, scheme, s)
	}
	i := strings.LastIndexByte(rest, ':')
	if i < 0 {
		return Endpoint{}, fmt.Errorf("%w %q: missing port", ErrEndpoint, s)
	}
	host, port := rest[:i], rest[i+1:]
	if strings.HasPrefix(host, "[") {
		if !strings.HasSuffix(host, "]") || len(host) < 3 {
			return Endpoint{}, fmt.Errorf("%w %q: unbalanced brackets", ErrEndpoint, s)
		}
		host = host[1 : len(host)-1]
		if net.ParseIP(host) == nil {
			return Endpoint{}, fmt.Errorf("%w %q: %q is not an IPv6 address", ErrEndpoint, s, host)
		}
	} else if strings.ContainsAny(host, ":[]") || host == "" {
		return Endpoint{}, fmt.Errorf("%w %q: bad host %q", ErrEndpoint, s, host)
	}
	ep := Endpoint{Transport: scheme, Host: host}
	if bind {
		if host == "*" {
			ep.Host = ""
		} else if net.ParseIP(host) == nil {
			return Endpoint{}, fmt.Errorf("%w %q: bind needs a numeric address or *, not %q", ErrEndpoint, s, host)
		}
		if port == "*" {
			port = "0"
		}
	} else if host == "*" {
		return Endpoint{}, fmt.Errorf("%w %q: cannot connect to *", ErrEndpoint, s)
	}
	n, err := strconv.Atoi(port)
	if err != nil || !allDigits(port) || n > 65535 || (!bind && n == 0) {
		return Endpoint{}, fmt.Errorf("%w %q: bad port %q", ErrEndpoint, s, port)
	}
	ep.Port = n
	return ep, nil
}

// allDigits rejects the signs strconv.Atoi accepts: "+80" is no port.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func parseIPC(s, path string, bind bool) (Endpoint, error) {
	switch {
	case path == "" || path == "@":
		return Endpoint{}, fmt.Errorf("%w %q: empty ipc path", ErrEndpoint, s)
	case path == "*" && !bind:
		return Endpoint{}, fmt.Errorf("%w %q: cannot connect to *", ErrEndpoint, s)
	case len(path) > maxIPCPath:
		return Endpoint{}, fmt.Errorf("%w %q: ipc path of %d bytes, at most %d fit in sun_path", ErrEndpoint, s, len(path), maxIPCPath)
	case strings.IndexByte(path, 0) >= 0:
		return Endpoint{}, fmt.Errorf("%w %q: NUL in ipc path", ErrEndpoint, s)
	case path[0] == '@' && !abstractIPC:
		return Endpoint{}, fmt.Errorf("%w %q: the abstract namespace is Linux's alone", ErrEndpoint, s)
	}
	if err := ipcSupport(); err != nil {
		return Endpoint{}, fmt.Errorf("%w: %q: %w", ErrTransport, s, err)
	}
	return Endpoint{Transport: "ipc", Path: path}, nil
}
