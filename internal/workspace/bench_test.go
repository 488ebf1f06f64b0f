package workspace

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Client lookup on a warm cache (target: under 1 µs).
func BenchmarkLookupWarm(b *testing.B) {
	f, err := New(Options{Credentials: memStoreB(b), Refresher: noRefreshB{}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := f.Drive(ctx, alice); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Drive(ctx, alice); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLookupWarmParallel(b *testing.B) {
	f, err := New(Options{Credentials: memStoreB(b), Refresher: noRefreshB{}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := f.Drive(ctx, alice); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := f.Drive(ctx, alice); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// A tool-like call: look up the account's Drive client and run files.get (with fields)
// against a local handler, token read from storage, through the retry and auth layers.
func BenchmarkDriveFilesGet(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"f1","name":"report.pdf","mimeType":"application/pdf"}`)
	}))
	defer srv.Close()
	f, err := New(Options{Credentials: memStoreB(b), Refresher: noRefreshB{}, BaseURL: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		d, err := f.Drive(ctx, alice)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := d.Files.Get("f1").Fields("id,name,mimeType").Context(ctx).Do(); err != nil {
			b.Fatal(err)
		}
	}
}

// Reading a valid token on every request (the per-request cost the auth layer adds).
func BenchmarkAccessTokenFresh(b *testing.B) {
	f, err := New(Options{Credentials: memStoreB(b), Refresher: noRefreshB{}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.tokens.accessToken(ctx, alice, ""); err != nil {
			b.Fatal(err)
		}
	}
}
