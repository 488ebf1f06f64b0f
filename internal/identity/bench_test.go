package identity

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gwmcp/gwmcp/internal/seal"
	"github.com/gwmcp/gwmcp/internal/store"
	"github.com/gwmcp/gwmcp/internal/store/embedded"
)

// BenchmarkResolveWarm is the resolver on every tool call once caches are warm: the caller's
// default account with a scope it has. Target: under 5 µs.
func BenchmarkResolveWarm(b *testing.B) {
	for _, backend := range []string{"memory", "embedded", "embedded-sealed"} {
		b.Run(backend, func(b *testing.B) {
			f := newFixture(b)
			if backend != "memory" {
				raw, err := embedded.Open(filepath.Join(b.TempDir(), "s.db"), embedded.Options{})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { raw.Close() })
				var kv store.Store = raw
				if backend == "embedded-sealed" {
					kr, err := seal.NewKeyStore(b.TempDir(), nil).Load()
					if err != nil {
						b.Fatal(err)
					}
					kv = store.Sealed(raw, kr)
				}
				f.dir = NewDirectory(kv, f.clk.Now)
				f.res.dir = f.dir
			}
			ctx := context.Background()
			f.store(b, "alice@example.com", "111", driveRO, gmailRO)
			must(b, f.dir.Link(ctx, alice.Subject, Link{Email: "alice@example.com", Subject: "111", Primary: true}))
			req := Request{Principal: alice, Scopes: []string{driveRO}}
			if _, err := f.res.Resolve(ctx, req); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := f.res.Resolve(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSessionCheck is the per-request session check (no write: within the touch interval).
func BenchmarkSessionCheck(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	s := NewSessions(f.kv, SessionOptions{Idle: 3600e9, Absolute: 86400e9, Now: f.clk.Now})
	must(b, s.Bind(ctx, "sid", alice))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Check(ctx, "sid", alice.Subject); err != nil {
			b.Fatal(err)
		}
	}
}
