package compression

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestNegotiate(t *testing.T) {
	for _, tc := range []struct {
		accept string
		want   string
	}{
		{"", ""},
		{"identity", ""},
		{"gzip", Gzip},
		{"br", Brotli},
		{"gzip, deflate, br, zstd", Brotli}, // a browser: equal weights, the server's order
		{"gzip;q=1.0, br;q=0.5", Gzip},
		{"br;q=0, gzip", Gzip},
		{"BR, GZIP", Brotli},
		{"*", Brotli},
		{"*;q=0.1, gzip;q=0.5", Gzip},
		{"*;q=0", ""},
		{"gzip;q=0, br;q=0", ""},
		{" gzip ; q=0.8 , br ; q = 0.9", Brotli},
		{"gzip;q=nonsense", Gzip},
		{"deflate, compress", ""},
		{"x-gzip", ""},
	} {
		if got := Negotiate(tc.accept, Brotli, Gzip); got != tc.want {
			t.Errorf("Negotiate(%q) = %q, want %q", tc.accept, got, tc.want)
		}
	}
	if got := Negotiate("gzip, br", Gzip); got != Gzip {
		t.Errorf("only gzip offered: %q", got)
	}
}

func TestPrecompressRoundTrips(t *testing.T) {
	data := []byte(strings.Repeat("body { color: #123; } .steps li.done { border-color: green; }\n", 200))
	gz, br, err := Precompress(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(gz) >= len(data)/4 || len(br) >= len(gz) {
		t.Errorf("sizes: %d raw, %d gzip, %d brotli", len(data), len(gz), len(br))
	}
	for coding, enc := range map[string][]byte{Gzip: gz, Brotli: br} {
		got, err := Decode(coding, enc)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s does not round-trip: %v", coding, err)
		}
	}
	if _, err := Decode("zstd", gz); err == nil {
		t.Error("Decode(zstd) accepted")
	}
}

func TestPooledGzipWriterStartsClean(t *testing.T) {
	for i := range 3 {
		var b bytes.Buffer
		w := NewGzipWriter(&b)
		msg := strings.Repeat("x", i*1000+1)
		io.WriteString(w, msg)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		PutGzipWriter(w)
		got, err := Decode(Gzip, b.Bytes())
		if err != nil || string(got) != msg {
			t.Fatalf("round %d: %v", i, err)
		}
	}
}
