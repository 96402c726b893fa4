package main

import (
	"crypto/subtle"
	"flag"
	"fmt"

	"github.com/azmq/azmq"
)

// secFlags are the mechanism flags every socket command takes. Keys are
// Z85 text, as libzmq's curve_keygen and `azmq keygen` print them. A key
// given on the command line is visible to other users of the machine
// (ps); that is the price of a debugging tool.
type secFlags struct {
	curveServer    bool
	curveSecret    string
	curvePublic    string
	curveServerKey string
	curveAllow     listFlag
	plainServer    bool
	plainUser      string
	plainPass      string
	zapDomain      string
	set            map[string]bool // the flags given, filled by resolve
}

// register adds the flags to fs.
func (f *secFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.curveServer, "curve-server", false, "be a CURVE server (needs --curve-secretkey)")
	fs.StringVar(&f.curveSecret, "curve-secretkey", "", "our CURVE secret key, Z85 (a client without it uses a fresh key pair)")
	fs.StringVar(&f.curvePublic, "curve-publickey", "", "our CURVE public key, Z85 (client; derived from --curve-secretkey if not given)")
	fs.StringVar(&f.curveServerKey, "curve-serverkey", "", "be a CURVE client of the server with this public key, Z85")
	fs.Var(&f.curveAllow, "curve-allow", "CURVE server: accept only this client public key, Z85 (repeatable; default: any client that knows our key)")
	fs.BoolVar(&f.plainServer, "plain-server", false, "be a PLAIN server: accept any login, or only --plain-user/--plain-password if given")
	fs.StringVar(&f.plainUser, "plain-user", "", "PLAIN username (client: log in with it; server: the one accepted)")
	fs.StringVar(&f.plainPass, "plain-password", "", "PLAIN password (sent in clear text)")
	fs.StringVar(&f.zapDomain, "zap-domain", "", "ZAP domain of the authentication requests")
}

// security is what the flags resolve to: socket options, and the ZAP
// handler the context needs (nil: none).
type security struct {
	opts []azmq.Option
	auth azmq.Authenticator
}

// resolve checks the flags given on fs and turns them into options. Every
// error is a usage error, and none quotes a secret.
func (f *secFlags) resolve(fs *flag.FlagSet) (security, error) {
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	curve := f.curveServer || f.set["curve-secretkey"] || f.set["curve-publickey"] || f.set["curve-serverkey"] || len(f.curveAllow) > 0
	plain := f.plainServer || f.set["plain-user"] || f.set["plain-password"]
	var sec security
	if f.set["zap-domain"] {
		sec.opts = append(sec.opts, azmq.WithZAPDomain(f.zapDomain))
	}
	switch {
	case curve && plain:
		return sec, fmt.Errorf("%w: CURVE and PLAIN flags together", errUsage)
	case curve && f.curveServer:
		return sec, f.curveServerOpts(&sec)
	case curve:
		return sec, f.curveClientOpts(&sec)
	case plain && f.plainServer:
		user, pass, anyLogin := f.plainUser, f.plainPass, !f.set["plain-user"] && !f.set["plain-password"]
		sec.opts = append(sec.opts, azmq.WithPlainServer())
		sec.auth = azmq.AuthenticatorFunc(func(r *azmq.ZAPRequest) azmq.ZAPReply {
			if len(r.Credentials) == 2 && (anyLogin ||
				subtle.ConstantTimeCompare(r.Credentials[0], []byte(user)) == 1 &&
					subtle.ConstantTimeCompare(r.Credentials[1], []byte(pass)) == 1) {
				return azmq.ZAPReply{Status: azmq.ZAPOK, UserID: string(r.Credentials[0])}
			}
			return azmq.ZAPReply{Status: azmq.ZAPDenied, Text: "wrong username or password"}
		})
	case plain:
		if len(f.plainUser) > 255 || len(f.plainPass) > 255 {
			return sec, fmt.Errorf("%w: --plain-user and --plain-password are limited to 255 bytes", errUsage)
		}
		sec.opts = append(sec.opts, azmq.WithPlainClient(f.plainUser, f.plainPass))
	}
	return sec, nil
}

func (f *secFlags) curveServerOpts(sec *security) error {
	switch {
	case f.curveSecret == "":
		return fmt.Errorf("%w: --curve-server needs --curve-secretkey", errUsage)
	case f.curveServerKey != "" || f.curvePublic != "":
		return fmt.Errorf("%w: --curve-serverkey and --curve-publickey are for clients, not --curve-server", errUsage)
	}
	secret, err := azmq.ParseSecretKey(f.curveSecret)
	if err != nil {
		return fmt.Errorf("%w: --curve-secretkey: %v", errUsage, err)
	}
	sec.opts = append(sec.opts, azmq.WithCurveServer(secret))
	if len(f.curveAllow) == 0 {
		return nil
	}
	allowed := map[azmq.PublicKey]bool{}
	for _, s := range f.curveAllow {
		k, err := azmq.ParsePublicKey(s)
		if err != nil {
			return fmt.Errorf("%w: --curve-allow %q: %v", errUsage, s, err)
		}
		allowed[k] = true
	}
	sec.auth = azmq.AuthenticatorFunc(func(r *azmq.ZAPRequest) azmq.ZAPReply {
		if len(r.Credentials) == 1 {
			if k, err := azmq.ParsePublicKey(string(r.Credentials[0])); err == nil && allowed[k] {
				return azmq.ZAPReply{Status: azmq.ZAPOK, UserID: k.Z85()}
			}
		}
		return azmq.ZAPReply{Status: azmq.ZAPDenied, Text: "client key not allowed"}
	})
	return nil
}

func (f *secFlags) curveClientOpts(sec *security) error {
	switch {
	case f.curveServerKey == "":
		return fmt.Errorf("%w: a CURVE client needs --curve-serverkey (or give --curve-server)", errUsage)
	case len(f.curveAllow) > 0:
		return fmt.Errorf("%w: --curve-allow is for --curve-server", errUsage)
	case f.curvePublic != "" && f.curveSecret == "":
		return fmt.Errorf("%w: --curve-publickey without --curve-secretkey", errUsage)
	}
	server, err := azmq.ParsePublicKey(f.curveServerKey)
	if err != nil {
		return fmt.Errorf("%w: --curve-serverkey: %v", errUsage, err)
	}
	var public azmq.PublicKey
	var secret azmq.SecretKey
	if f.curveSecret == "" {
		// An ephemeral identity: the server learns nothing it could allow.
		if public, secret, err = azmq.NewCurveKeypair(); err != nil {
			return err
		}
	} else {
		if secret, err = azmq.ParseSecretKey(f.curveSecret); err != nil {
			return fmt.Errorf("%w: --curve-secretkey: %v", errUsage, err)
		}
		public = secret.Public()
		if f.curvePublic != "" {
			given, err := azmq.ParsePublicKey(f.curvePublic)
			if err != nil {
				return fmt.Errorf("%w: --curve-publickey: %v", errUsage, err)
			}
			if given != public {
				return fmt.Errorf("%w: --curve-publickey does not belong to --curve-secretkey", errUsage)
			}
		}
	}
	sec.opts = append(sec.opts, azmq.WithCurveClient(server, public, secret))
	return nil
}
