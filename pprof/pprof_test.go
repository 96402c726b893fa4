package pprof

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStartCPUAndWrite(t *testing.T) {
	dir := t.TempDir()
	stop, err := StartCPU(filepath.Join(dir, "cpu.prof"))
	if err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"heap", "allocs", "goroutine", "mutex", "block"} {
		path := filepath.Join(dir, name+".prof")
		if err := Write(name, path); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if st, err := os.Stat(path); err != nil || st.Size() == 0 {
			t.Fatalf("%s: empty profile (%v)", name, err)
		}
	}
	if err := Write("nonesuch", filepath.Join(dir, "x")); err == nil {
		t.Fatal("unknown profile accepted")
	}
}

func TestHandler(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/debug/pprof/", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "goroutine") {
		t.Fatalf("index: %d %q", rec.Code, rec.Body.String()[:min(80, rec.Body.Len())])
	}
}
