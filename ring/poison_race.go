//go:build race

package ring

// PoisonByte fills released buffers in race builds, so that a view used after
// its message was released reads garbage that tests notice.
const PoisonByte = 0xDB

func poison(b []byte) {
	for i := range b {
		b[i] = PoisonByte
	}
}
