package credentials

import (
	"testing"
)

func BenchmarkGetWarm(b *testing.B) {
	for _, mode := range Modes {
		b.Run(string(mode), func(b *testing.B) {
			s := openStore(b, b.TempDir(), mode, testKeyring(b, 1), nil)
			c := sampleCredential("alice@example.com", 1)
			if err := s.Put(bg, c); err != nil {
				b.Fatal(err)
			}
			if _, err := s.Get(bg, c.Email); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Get(bg, "Alice@example.com"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGetCold(b *testing.B) {
	dir := b.TempDir()
	kr := testKeyring(b, 1)
	s := openStore(b, dir, FileEncrypted, kr, nil)
	if err := s.Put(bg, sampleCredential("alice@example.com", 1)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		s.forget("alice@example.com")
		if _, err := s.Get(bg, "alice@example.com"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPut(b *testing.B) {
	s := openStore(b, b.TempDir(), FileEncrypted, testKeyring(b, 1), nil)
	c := sampleCredential("alice@example.com", 1)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Put(bg, c); err != nil {
			b.Fatal(err)
		}
	}
}
