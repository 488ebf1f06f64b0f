package transfer_test

import (
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gwmcp/gwmcp/internal/benchmem"
	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/store/memory"
	"github.com/gwmcp/gwmcp/internal/transfer"
)

const benchSize = 200 << 20

// pattern is an endless reader of non-zero bytes, so nothing on the way can compress them.
type pattern struct{ n int64 }

func (p *pattern) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte(p.n*31 + p.n>>8)
		p.n++
	}
	return len(b), nil
}

// BenchmarkTransfer200MB moves 200 MB up and down through signed URLs served by the real
// handlers over loopback TCP; the upload handler hashes and discards (the sandbox Drive keeps
// media in memory, capped at 64 MB, so the Drive path is measured with smaller files in
// internal/tools/drive). Run with:
//
//	go test -run '^$' -bench Transfer200MB -benchtime 3x ./internal/transfer/
func BenchmarkTransfer200MB(b *testing.B) {
	kv := memory.New(memory.Options{})
	defer kv.Close()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	svc, err := transfer.New(transfer.Options{BaseURL: srv.URL, KV: kv, MaxBytes: 512 << 20})
	if err != nil {
		b.Fatal(err)
	}
	svc.Routes(mux)
	svc.HandleUpload("sink", func(_ context.Context, _ string, _ map[string]string, body io.Reader, _ int64) (any, error) {
		h := sha256.New()
		n, err := io.Copy(h, body)
		return map[string]any{"bytes": n, "sha256": h.Sum(nil)}, err
	})
	svc.HandleDownload("source", func(_ context.Context, _ string, _ map[string]string, w http.ResponseWriter) error {
		w.Header().Set("Content-Length", strconv.Itoa(benchSize))
		_, err := io.Copy(w, io.LimitReader(&pattern{}, benchSize))
		return err
	})
	p := identity.Principal{Subject: "bench"}
	ctx := context.Background()

	b.Run("upload", func(b *testing.B) {
		b.SetBytes(benchSize)
		m := benchmem.Start()
		for b.Loop() {
			u, _, err := svc.UploadURL(ctx, p, "a@x", "sink", nil)
			if err != nil {
				b.Fatal(err)
			}
			req, _ := http.NewRequest(http.MethodPut, u, io.LimitReader(&pattern{}, benchSize))
			req.ContentLength = benchSize
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"bytes":209715200`) {
				b.Fatalf("upload: %d %s", resp.StatusCode, body)
			}
		}
		m.Report(b)
	})
	b.Run("download", func(b *testing.B) {
		b.SetBytes(benchSize)
		m := benchmem.Start()
		for b.Loop() {
			u, _, err := svc.DownloadURL(ctx, p, "a@x", "source", nil)
			if err != nil {
				b.Fatal(err)
			}
			resp, err := http.Get(u)
			if err != nil {
				b.Fatal(err)
			}
			n, err := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil || n != benchSize || resp.StatusCode != http.StatusOK {
				b.Fatalf("download: %d bytes, %v, status %d", n, err, resp.StatusCode)
			}
		}
		m.Report(b)
	})
}
