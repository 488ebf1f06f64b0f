package drive_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/benchmem"
	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/secret"
	"github.com/gwmcp/gwmcp/internal/tools/drive"
	"github.com/gwmcp/gwmcp/internal/tools/toolstest"
	"github.com/gwmcp/gwmcp/internal/transfer"
	"github.com/gwmcp/gwmcp/internal/workspace"
)

const benchSize = 200 << 20

// pattern is an endless reader of non-repeating bytes.
type pattern struct{ n int64 }

func (p *pattern) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte(p.n*31 + p.n>>8)
		p.n++
	}
	return len(b), nil
}

// countingDrive is the smallest Drive that takes resumable uploads and serves media of any
// size, keeping nothing but a hash: the sandbox keeps media in memory (capped at 64 MB), so
// the 200 MB runs stream into this instead. Everything on gwmcp's side is the real code:
// the signed URL handler, the Drive tool's upload/download handler, the generated Drive
// client with its resumable upload, and the client factory's transport.
type countingDrive struct {
	mu    sync.Mutex
	h     hash.Hash
	bytes int64
}

func (c *countingDrive) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case strings.HasPrefix(r.URL.Path, "/upload/drive/v3/files") && q.Get("upload_id") == "":
		c.mu.Lock()
		c.h, c.bytes = sha256.New(), 0
		c.mu.Unlock()
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Location", "http://"+r.Host+"/upload/drive/v3/files?uploadType=resumable&upload_id=bench")
		w.WriteHeader(http.StatusOK)
	case strings.HasPrefix(r.URL.Path, "/upload/drive/v3/files"):
		c.mu.Lock()
		n, _ := io.Copy(c.h, r.Body)
		c.bytes += n
		total := c.bytes
		sum := hex.EncodeToString(c.h.Sum(nil))
		c.mu.Unlock()
		if !strings.HasSuffix(r.Header.Get("Content-Range"), "/*") {
			json.NewEncoder(w).Encode(map[string]string{"id": "1benchFile", "name": "big.bin", "mimeType": "application/octet-stream",
				"size": strconv.FormatInt(total, 10), "description": sum})
			return
		}
		w.Header().Set("X-Http-Status-Code-Override", "308")
		w.Header().Set("Range", "bytes=0-"+strconv.FormatInt(total-1, 10))
		w.WriteHeader(http.StatusOK)
	case r.URL.Path == "/drive/v3/files/1benchFile" && q.Get("alt") == "media":
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(benchSize))
		io.Copy(w, io.LimitReader(&pattern{}, benchSize))
	case r.URL.Path == "/drive/v3/files/1benchFile":
		json.NewEncoder(w).Encode(map[string]string{"id": "1benchFile", "name": "big.bin", "mimeType": "application/octet-stream",
			"size": strconv.Itoa(benchSize)})
	default:
		http.Error(w, `{"error":{"code":404,"message":"not found"}}`, http.StatusNotFound)
	}
}

type noRefresh struct{}

func (noRefresh) Refresh(context.Context, secret.String) (workspace.Token, error) {
	return workspace.Token{}, workspace.ErrUnavailable
}

// BenchmarkDriveTransfer200MB moves 200 MB up and down through the signed URLs of
// upload_to_drive and download_drive_file, with the Drive tool's handlers streaming to and
// from a counting Drive over loopback, and reports the peak memory growth. Run with:
//
//	go test -run '^$' -bench DriveTransfer200MB -benchtime 3x ./internal/tools/drive/
func BenchmarkDriveTransfer200MB(b *testing.B) {
	env := toolstest.New(b)
	env.Authorize(b, alice, scopeFull)
	fake := &countingDrive{}
	google := httptest.NewServer(fake)
	defer google.Close()
	factory, err := workspace.New(workspace.Options{Credentials: env.Credentials, Refresher: noRefresh{}, BaseURL: google.URL,
		Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }})
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tr, err := transfer.New(transfer.Options{BaseURL: srv.URL, KV: env.KV})
	if err != nil {
		b.Fatal(err)
	}
	tr.Routes(mux)
	env.Deps.Clients, env.Deps.Transfers = factory, tr
	drive.Register(env.Registry, env.Deps)
	cs := env.Connect(b, identity.Principal{})

	b.Run("upload", func(b *testing.B) {
		b.SetBytes(benchSize)
		m := benchmem.Start()
		for b.Loop() {
			var up drive.UploadResult
			toolstest.OK(b, cs, "upload_to_drive", args("filename", "big.bin"), &up)
			req, _ := http.NewRequest(http.MethodPut, up.UploadURL, io.LimitReader(&pattern{}, benchSize))
			req.ContentLength = benchSize
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var done drive.UploadResult
			if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &done) != nil || done.Size != benchSize {
				b.Fatalf("upload: %d %s", resp.StatusCode, body)
			}
		}
		m.Report(b)
	})
	b.Run("download", func(b *testing.B) {
		b.SetBytes(benchSize)
		m := benchmem.Start()
		for b.Loop() {
			var down drive.DownloadResult
			toolstest.OK(b, cs, "download_drive_file", args("file_id", "1benchFile"), &down)
			resp, err := http.Get(down.DownloadURL)
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
