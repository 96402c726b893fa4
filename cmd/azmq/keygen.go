package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/azmq/azmq"
)

// runKeygen prints a fresh CURVE key pair in Z85, in the format of
// libzmq's curve_keygen (without its preamble), or as JSON.
func runKeygen(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("azmq keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, `print {"public": ..., "secret": ...} instead`)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: azmq keygen [--json]\nPrint a new CURVE key pair in Z85, as libzmq's curve_keygen does.\nGive the secret key to --curve-secretkey, the public key to the peers' --curve-serverkey.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	public, secret, err := azmq.NewCurveKeypair()
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false) // Z85 uses < > &
		return enc.Encode(map[string]string{"public": public.Z85(), "secret": secret.Z85()})
	}
	_, err = fmt.Fprintf(stdout, "== CURVE PUBLIC KEY ==\n%s\n\n== CURVE SECRET KEY ==\n%s\n", public.Z85(), secret.Z85())
	return err
}
