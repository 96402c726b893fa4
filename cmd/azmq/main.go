// Command azmq is a ZeroMQ debugging tool: it opens one socket, binds or
// connects it, and moves messages between the socket and stdin/stdout, one
// message per line. It speaks ZMTP 3.1 to libzmq and to any other ZeroMQ
// implementation.
//
//	azmq COMMAND [flags] ENDPOINT...
//	azmq proxy [flags] FRONTEND BACKEND
//	azmq keygen
//	azmq bench [flags]
//
// Commands and the side they take unless --bind or --connect says otherwise:
//
//	push, send   connect  send each line of stdin as a message (send: any --type)
//	pub          bind     send each line; the first frame is the topic
//	pull, recv   bind     print each message received (recv: any --type)
//	sub          connect  print each message matching --subscribe (default: all)
//	req          connect  send each line, print its reply
//	rep          bind     print each request, reply with the next line of stdin (--echo: the request)
//	dealer       connect  send lines and print messages, both at once
//	router       bind     as dealer; the first frame is the peer's routing id
//	pair         connect  as dealer
//	monitor      by type  print the connection events of a socket of --type
//	proxy        bind     forward between FRONTEND (--front-type, ROUTER) and BACKEND (--back-type, DEALER)
//	keygen                print a new CURVE key pair in Z85, like libzmq's curve_keygen
//	bench                 measure tcp loopback throughput and latency; print a table
//
// A line is one message; its frames are separated by --sep (a tab by
// default), and with --hex every frame is written in hexadecimal, for
// binary frames such as the routing ids that libzmq makes up for ROUTER.
//
// A command ends when stdin ends (the sending ones), after --count messages
// (the receiving ones; dealer, router and pair need both), or on --timeout
// when one send or receive waits longer. On the way out, what is still
// queued is sent for up to --linger (by default until it is sent, as
// libzmq's zmq_ctx_term does).
//
// Security: every socket command takes --curve-server --curve-secretkey KEY
// (with --curve-allow KEY to accept only some clients), --curve-serverkey
// KEY for a client (with --curve-secretkey for a fixed identity; a fresh
// key pair otherwise), --plain-server (any login, or only --plain-user and
// --plain-password), --plain-user and --plain-password for a client, and
// --zap-domain. The proxy applies them to its frontend.
//
// Exit status: 0 when done (stdin ended, --count reached), 1 for a runtime
// error (bind failed, --timeout expired, bad input), 2 for a usage error,
// 130 when interrupted.
package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/azmq/azmq"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK          = 0
	exitRuntime     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// errUsage marks an error as the user's: exit code 2.
var errUsage = errors.New("usage")

// mode is what a command does with its socket.
type mode int

const (
	modeSend    mode = iota // stdin → socket
	modeRecv                // socket → stdout
	modeReq                 // a line out, a reply back
	modeRep                 // a request in, a line back
	modeDuplex              // both directions at once
	modeMonitor             // socket events → stdout
)

// command describes one subcommand; typ is the default socket type.
type command struct {
	typ   azmq.Type
	mode  mode
	anyOf []azmq.Type // the types --type may choose, for send and recv
	brief string
}

var commands = map[string]command{
	"push":   {typ: azmq.Push, mode: modeSend, brief: "send each line of stdin as a message"},
	"pub":    {typ: azmq.Pub, mode: modeSend, brief: "send each line; the first frame is the topic"},
	"pull":   {typ: azmq.Pull, mode: modeRecv, brief: "print each message received"},
	"sub":    {typ: azmq.Sub, mode: modeRecv, brief: "print each message matching --subscribe"},
	"req":    {typ: azmq.Req, mode: modeReq, brief: "send each line, print its reply"},
	"rep":    {typ: azmq.Rep, mode: modeRep, brief: "print each request, reply with the next line of stdin"},
	"dealer": {typ: azmq.Dealer, mode: modeDuplex, brief: "send lines and print messages, both at once"},
	"router": {typ: azmq.Router, mode: modeDuplex, brief: "as dealer; the first frame is the peer's routing id"},
	"pair":   {typ: azmq.Pair, mode: modeDuplex, brief: "as dealer"},
	"send": {typ: azmq.Push, mode: modeSend, brief: "send each line on a socket of --type",
		anyOf: []azmq.Type{azmq.Push, azmq.Pub, azmq.XPub, azmq.Dealer, azmq.Router, azmq.Pair}},
	"recv": {typ: azmq.Pull, mode: modeRecv, brief: "print each message of a socket of --type",
		anyOf: []azmq.Type{azmq.Pull, azmq.Sub, azmq.XSub, azmq.Dealer, azmq.Router, azmq.Pair}},
	"monitor": {typ: azmq.Dealer, mode: modeMonitor, anyOf: allTypes,
		brief: "print the connection events of a socket of --type (required)"},
}

// allTypes are the socket types, for the commands that take any.
var allTypes = []azmq.Type{azmq.Pair, azmq.Pub, azmq.Sub, azmq.Req, azmq.Rep, azmq.Dealer,
	azmq.Router, azmq.Pull, azmq.Push, azmq.XPub, azmq.XSub}

// commandOrder is the order of the usage text.
var commandOrder = []string{"push", "pub", "pull", "sub", "req", "rep", "dealer", "router", "pair", "send", "recv", "monitor"}

// bindsByDefault is the usual side of each type: the stable end of a
// pattern binds (a server, a publisher, a sink), the other end connects.
func bindsByDefault(t azmq.Type) bool {
	switch t {
	case azmq.Pub, azmq.XPub, azmq.Pull, azmq.Rep, azmq.Router:
		return true
	}
	return false
}

// config is a parsed command line.
type config struct {
	name      string
	cmd       command
	typ       azmq.Type
	bind      bool
	endpoints []string
	frames    format
	count     int
	timeout   time.Duration
	delay     time.Duration
	linger    time.Duration
	subscribe []string
	id        string
	echo      bool
	backend   azmq.Backend
	secFlags  secFlags
	security  security
}

// run is the whole program, with its streams passed in so that tests can
// drive it; it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return exitOK
	case "bench":
		return report(ctx, stderr, "bench", runBench(ctx, args[1:], stdout, stderr))
	case "keygen":
		return report(ctx, stderr, "keygen", runKeygen(args[1:], stdout, stderr))
	case "proxy":
		return report(ctx, stderr, "proxy", runProxy(ctx, args[1:], stderr))
	}
	cfg, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return report(ctx, stderr, args[0], err)
	}
	return report(ctx, stderr, cfg.name, cfg.serve(ctx, stdin, stdout, stderr))
}

// report prints err, if any, and turns it into an exit code.
func report(ctx context.Context, stderr io.Writer, name string, err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "azmq %s: %v\n", name, err)
		return exitUsage
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "azmq %s: interrupted\n", name)
		return exitInterrupted
	}
	fmt.Fprintf(stderr, "azmq %s: %v\n", name, err)
	return exitRuntime
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: azmq COMMAND [flags] ENDPOINT...")
	fmt.Fprintln(w, "       azmq proxy [flags] FRONTEND BACKEND")
	fmt.Fprintln(w, "       azmq keygen")
	fmt.Fprintln(w, "       azmq bench [flags]")
	fmt.Fprintln(w, "\nCommands (default side in brackets; --bind or --connect to change it):")
	for _, name := range commandOrder {
		c := commands[name]
		side := "connect"
		switch {
		case c.mode == modeMonitor:
			side = "by type"
		case bindsByDefault(c.typ):
			side = "bind"
		}
		fmt.Fprintf(w, "  %-7s [%-7s] %s\n", name, side, c.brief)
	}
	fmt.Fprintf(w, "  %-7s [%-7s] forward between FRONTEND and BACKEND (default ROUTER and DEALER)\n", "proxy", "bind")
	fmt.Fprintf(w, "  %-17s print a new CURVE key pair in Z85\n", "keygen")
	fmt.Fprintf(w, "  %-17s measure tcp loopback throughput and latency\n", "bench")
	fmt.Fprintln(w, "\nOne line is one message; frames are separated by --sep (a tab), in hex with --hex.")
	fmt.Fprintln(w, "Endpoints: tcp://127.0.0.1:5555, tcp://*:*, ipc:///tmp/sock. Run azmq COMMAND -h for flags.")
	fmt.Fprintln(w, "Security: --curve-server --curve-secretkey K, --curve-serverkey K, --plain-server, --plain-user U --plain-password P, --zap-domain D.")
	fmt.Fprintln(w, "Exit status: 0 done, 1 runtime error, 2 usage error, 130 interrupted.")
}

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// parse reads the command line of a socket command. Flags may come before,
// between or after the endpoints.
func parse(args []string, stderr io.Writer) (*config, error) {
	name := args[0]
	cmd, ok := commands[name]
	if !ok {
		return nil, fmt.Errorf("%w: unknown command %q (azmq -h lists them)", errUsage, name)
	}
	cfg := &config{name: name, cmd: cmd, typ: cmd.typ}
	fs := flag.NewFlagSet("azmq "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	bind := fs.Bool("bind", false, "bind the endpoints")
	connect := fs.Bool("connect", false, "connect to the endpoints")
	fs.StringVar(&cfg.frames.sep, "sep", "\t", "frame separator within a line (empty: one frame per line)")
	fs.BoolVar(&cfg.frames.hex, "hex", false, "frames in hexadecimal, for binary data")
	fs.IntVar(&cfg.count, "count", 0, "stop after this many messages (0: no limit)")
	fs.DurationVar(&cfg.timeout, "timeout", 0, "fail when one send or receive waits longer (0: wait for ever)")
	fs.DurationVar(&cfg.linger, "linger", -time.Second, "how long to go on sending queued messages at exit (negative: until sent, as libzmq)")
	fs.StringVar(&cfg.id, "id", "", "routing id of this socket, as a ROUTER peer sees it")
	backend := fs.String("backend", "default", "I/O backend: default, epoll or std")
	var typeName *string
	if cmd.anyOf != nil {
		typeName = fs.String("type", strings.ToLower(cmd.typ.String()), "socket type: "+typeNames(cmd.anyOf))
	}
	if cmd.mode == modeSend || cmd.mode == modeDuplex {
		fs.DurationVar(&cfg.delay, "delay", 0, "wait this long before the first send (lets subscribers join)")
	}
	var subs listFlag
	if cmd.mode == modeRecv {
		fs.Var(&subs, "subscribe", "SUB/XSUB prefix to subscribe to, repeatable (default: everything)")
	}
	if cmd.mode == modeRep {
		fs.BoolVar(&cfg.echo, "echo", false, "reply with the request itself instead of reading stdin")
	}
	cfg.secFlags.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: azmq %s [flags] ENDPOINT...\n%s.\n\nFlags:\n", name, cmd.brief)
		fs.PrintDefaults()
	}

	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		cfg.endpoints = append(cfg.endpoints, rest[0])
		rest = rest[1:]
	}

	typeSet := false
	fs.Visit(func(f *flag.Flag) { typeSet = typeSet || f.Name == "type" })
	if cmd.mode == modeMonitor && !typeSet {
		return nil, fmt.Errorf("%w: --type is required", errUsage)
	}
	if typeName != nil {
		t, err := parseType(*typeName, cmd.anyOf)
		if err != nil {
			return nil, err
		}
		cfg.typ = t
	}
	switch {
	case len(cfg.endpoints) == 0:
		return nil, fmt.Errorf("%w: no endpoint given", errUsage)
	case *bind && *connect:
		return nil, fmt.Errorf("%w: --bind and --connect together", errUsage)
	case *bind:
		cfg.bind = true
	case *connect:
		cfg.bind = false
	default:
		cfg.bind = bindsByDefault(cfg.typ)
	}
	if len(subs) > 0 && cfg.typ != azmq.Sub && cfg.typ != azmq.XSub {
		return nil, fmt.Errorf("%w: --subscribe needs a SUB or XSUB socket", errUsage)
	}
	cfg.subscribe = subs
	if cfg.count < 0 {
		return nil, fmt.Errorf("%w: --count %d is negative", errUsage, cfg.count)
	}
	b, err := parseBackend(*backend)
	if err != nil {
		return nil, err
	}
	cfg.backend = b
	if cfg.security, err = cfg.secFlags.resolve(fs); err != nil {
		return nil, err
	}
	return cfg, nil
}

func typeNames(ts []azmq.Type) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = strings.ToLower(t.String())
	}
	return strings.Join(names, ", ")
}

func parseType(name string, allowed []azmq.Type) (azmq.Type, error) {
	for _, t := range allowed {
		if strings.EqualFold(name, t.String()) {
			return t, nil
		}
	}
	return 0, fmt.Errorf("%w: --type %q is not one of %s", errUsage, name, typeNames(allowed))
}

func parseBackend(name string) (azmq.Backend, error) {
	for _, b := range []azmq.Backend{azmq.BackendDefault, azmq.BackendEpoll, azmq.BackendStd} {
		if name == b.String() {
			return b, nil
		}
	}
	return 0, fmt.Errorf("%w: --backend %q is not default, epoll or std", errUsage, name)
}

// format turns lines into messages and back.
type format struct {
	sep string
	hex bool
}

// decode splits a line into frames.
func (f format) decode(line string) ([][]byte, error) {
	parts := []string{line}
	if f.sep != "" {
		parts = strings.Split(line, f.sep)
	}
	frames := make([][]byte, len(parts))
	for i, p := range parts {
		if !f.hex {
			frames[i] = []byte(p)
			continue
		}
		b, err := hex.DecodeString(p)
		if err != nil {
			return nil, fmt.Errorf("frame %d: not hexadecimal: %w", i+1, err)
		}
		frames[i] = b
	}
	return frames, nil
}

// write prints msg as one line and flushes it, so that a reader on the
// other end of a pipe sees each message as it comes.
func (f format) write(w *bufio.Writer, msg [][]byte) error {
	for i, frame := range msg {
		if i > 0 {
			w.WriteString(f.sep)
		}
		if f.hex {
			w.WriteString(hex.EncodeToString(frame))
		} else {
			w.Write(frame)
		}
	}
	w.WriteByte('\n')
	return w.Flush()
}

// lines reads stdin one line at a time, for lines up to 64 MiB.
type lines struct {
	sc *bufio.Scanner
	n  int // lines read
}

func newLines(r io.Reader) *lines {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	return &lines{sc: sc}
}

// next returns the next line; ok is false at the end of stdin or on a read
// error, which err then holds.
func (l *lines) next() (line string, ok bool, err error) {
	if !l.sc.Scan() {
		if err := l.sc.Err(); err != nil {
			return "", false, fmt.Errorf("stdin: %w", err)
		}
		return "", false, nil
	}
	l.n++
	return l.sc.Text(), true, nil
}

// message reads the next line as a message.
func (l *lines) message(f format) (msg [][]byte, ok bool, err error) {
	line, ok, err := l.next()
	if !ok {
		return nil, false, err
	}
	msg, err = f.decode(line)
	if err != nil {
		return nil, false, fmt.Errorf("stdin line %d: %w", l.n, err)
	}
	return msg, true, nil
}

// serve opens the socket and runs the command until it is done.
func (cfg *config) serve(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) error {
	c := azmq.NewContext(azmq.WithBackend(cfg.backend))
	if cfg.security.auth != nil {
		c.SetAuthenticator(cfg.security.auth)
	}
	opts := []azmq.Option{azmq.WithLinger(cfg.linger)}
	if cfg.id != "" {
		opts = append(opts, azmq.WithRoutingID([]byte(cfg.id)))
	}
	opts = append(opts, cfg.security.opts...)
	s, err := c.NewSocket(cfg.typ, opts...)
	if err != nil {
		c.Close()
		return err
	}
	var events <-chan azmq.Event
	if cfg.cmd.mode == modeMonitor {
		events = s.Monitor(ctx) // before Bind: Listening is an event too
	}
	err = cfg.open(s, stderr)
	switch {
	case err != nil:
	case events != nil:
		err = cfg.watch(ctx, events, stdout)
	default:
		err = cfg.exchange(ctx, s, stdin, stdout)
	}
	closed := make(chan struct{})
	go func() {
		c.Close()
		close(closed)
	}()
	if err != nil {
		return err // no waiting for a peer to take what is queued once something failed
	}
	select {
	case <-closed:
		return nil
	case <-ctx.Done(): // interrupted while lingering: leave the rest unsent
		return ctx.Err()
	}
}

// open subscribes, then binds or connects every endpoint; a wildcard
// address is reported once resolved.
func (cfg *config) open(s *azmq.Socket, stderr io.Writer) error {
	if cfg.typ == azmq.Sub || cfg.typ == azmq.XSub {
		subs := cfg.subscribe
		if len(subs) == 0 && cfg.typ == azmq.Sub {
			subs = []string{""}
		}
		for _, p := range subs {
			if err := s.Subscribe([]byte(p)); err != nil {
				return err
			}
		}
	}
	for _, ep := range cfg.endpoints {
		if !cfg.bind {
			if err := s.Connect(ep); err != nil {
				return err
			}
			continue
		}
		if err := s.Bind(ep); err != nil {
			return err
		}
		if s.Addr() != ep {
			fmt.Fprintf(stderr, "azmq %s: bound %s\n", cfg.name, s.Addr())
		}
	}
	return nil
}

// op bounds one send or receive by --timeout.
func (cfg *config) op(ctx context.Context) (context.Context, context.CancelFunc) {
	if cfg.timeout > 0 {
		return context.WithTimeout(ctx, cfg.timeout)
	}
	return context.WithCancel(ctx)
}

// send sends one message within --timeout.
func (cfg *config) send(ctx context.Context, s *azmq.Socket, msg [][]byte) error {
	octx, cancel := cfg.op(ctx)
	defer cancel()
	if err := s.Send(octx, msg...); err != nil {
		return cfg.opErr("send", err)
	}
	return nil
}

// recv receives one message within --timeout.
func (cfg *config) recv(ctx context.Context, s *azmq.Socket) ([][]byte, error) {
	octx, cancel := cfg.op(ctx)
	defer cancel()
	msg, err := s.Recv(octx)
	if err != nil {
		return nil, cfg.opErr("receive", err)
	}
	return msg, nil
}

func (cfg *config) opErr(op string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no %s within --timeout %v", op, cfg.timeout)
	}
	return err
}

// pause waits --delay unless ctx ends first.
func (cfg *config) pause(ctx context.Context) error {
	if cfg.delay <= 0 {
		return nil
	}
	t := time.NewTimer(cfg.delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// done reports whether --count messages have been handled.
func (cfg *config) done(n int) bool { return cfg.count > 0 && n >= cfg.count }

// exchange moves messages as the command's mode says.
func (cfg *config) exchange(ctx context.Context, s *azmq.Socket, stdin io.Reader, stdout io.Writer) error {
	in, out := newLines(stdin), bufio.NewWriter(stdout)
	switch cfg.cmd.mode {
	case modeSend:
		return cfg.sendLines(ctx, s, in)
	case modeRecv:
		for n := 0; !cfg.done(n); n++ {
			if _, err := cfg.recvPrint(ctx, s, out); err != nil {
				return err
			}
		}
		return nil
	case modeReq:
		for n := 0; !cfg.done(n); n++ {
			msg, ok, err := in.message(cfg.frames)
			if !ok {
				return err
			}
			if err := cfg.send(ctx, s, msg); err != nil {
				return err
			}
			if _, err := cfg.recvPrint(ctx, s, out); err != nil {
				return err
			}
		}
		return nil
	case modeRep:
		for n := 0; !cfg.done(n); n++ {
			req, err := cfg.recvPrint(ctx, s, out)
			if err != nil {
				return err
			}
			reply := req
			if !cfg.echo {
				msg, ok, err := in.message(cfg.frames)
				if !ok {
					return err // stdin ended: no reply left to give
				}
				reply = msg
			}
			if err := cfg.send(ctx, s, reply); err != nil {
				return err
			}
		}
		return nil
	default:
		return cfg.duplex(ctx, s, in, out)
	}
}

// recvPrint receives one message and writes it to out.
func (cfg *config) recvPrint(ctx context.Context, s *azmq.Socket, out *bufio.Writer) ([][]byte, error) {
	msg, err := cfg.recv(ctx, s)
	if err != nil {
		return nil, err
	}
	return msg, cfg.frames.write(out, msg)
}

// sendLines sends stdin, a line a message, until it ends or --count.
func (cfg *config) sendLines(ctx context.Context, s *azmq.Socket, in *lines) error {
	if err := cfg.pause(ctx); err != nil {
		return err
	}
	for n := 0; !cfg.done(n); n++ {
		msg, ok, err := in.message(cfg.frames)
		if !ok {
			return err
		}
		if err := cfg.send(ctx, s, msg); err != nil {
			return err
		}
	}
	return nil
}

// duplex sends stdin in the background while printing what arrives. It
// ends once stdin has ended and --count messages have arrived; without
// --count it goes on receiving until --timeout or an interrupt. A failed
// send ends it at once.
func (cfg *config) duplex(ctx context.Context, s *azmq.Socket, in *lines, out *bufio.Writer) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil) // stops a sender blocked in Send; one blocked reading stdin ends with the process
	sent := make(chan error, 1)
	go func() {
		send := *cfg
		send.count = 0 // --count counts what arrives
		err := send.sendLines(ctx, s, in)
		if err != nil {
			cancel(err)
		}
		sent <- err
	}()
	for n := 0; !cfg.done(n); n++ {
		msg, err := cfg.recv(ctx, s)
		if err != nil {
			if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
				return cause // the sender failed
			}
			return err
		}
		if err := cfg.frames.write(out, msg); err != nil {
			return err
		}
	}
	select {
	case err := <-sent:
		return err
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
