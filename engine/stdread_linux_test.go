package engine

import (
	"testing"
	"time"
)

// TestKeepSpinning: a busy-polling reader reads a dry socket again until
// its spin runs out, then parks; data read starts a fresh spin next time;
// a closing connection or a zero spin parks at once.
func TestKeepSpinning(t *testing.T) {
	cases := []struct {
		name string
		spin time.Duration
		stop bool
		want bool
	}{
		{"off", 0, false, false},
		{"on", time.Hour, false, true},
		{"closing", time.Hour, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &rawReader{spin: tc.spin}
			r.stop.Store(tc.stop)
			for i := 0; i < 3; i++ {
				if got := r.keepSpinning(); got != tc.want {
					t.Fatalf("call %d: keepSpinning = %v, want %v", i, got, tc.want)
				}
			}
		})
	}
	t.Run("runs out", func(t *testing.T) {
		r := &rawReader{spin: time.Millisecond}
		if !r.keepSpinning() {
			t.Fatal("the first dry read parked")
		}
		time.Sleep(5 * time.Millisecond)
		if r.keepSpinning() {
			t.Fatal("still spinning after the spin ran out")
		}
		if !r.keepSpinning() {
			t.Fatal("the next dry spell did not spin again")
		}
	})
}
