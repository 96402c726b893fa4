package azmq_test

import (
	"fmt"
	"testing"

	"github.com/azmq/azmq"
)

// BenchmarkCurvePushPull measures one-way CURVE throughput of 1 KiB
// messages over tcp loopback, beside NULL in the same run: the cost of
// encryption, and 0 allocs/op on the per-message path.
func BenchmarkCurvePushPull(b *testing.B) {
	k := testCurveKeys(b)
	for _, backend := range backends {
		for _, mech := range []string{"NULL", "CURVE"} {
			b.Run(fmt.Sprintf("backend=%s/mechanism=%s/size=1024", backend, mech), func(b *testing.B) {
				var srvOpt, cliOpt []azmq.Option
				if mech == "CURVE" {
					srvOpt = []azmq.Option{azmq.WithCurveServer(k.ss)}
					cliOpt = []azmq.Option{azmq.WithCurveClient(k.sp, k.cp, k.cs)}
				}
				benchPushPull(b, backend, "tcp", 1024, srvOpt, cliOpt)
			})
		}
	}
}
