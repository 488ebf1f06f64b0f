package devtoken

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gwmcp/gwmcp/internal/seal"
)

const (
	iss = "http://localhost:8002"
	aud = "http://localhost:8002/mcp"
)

func TestMintVerify(t *testing.T) {
	dir := t.TempDir()
	k, err := LoadOrCreate(dir, seal.WriteFileAtomic, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(filepath.Join(dir, KeyFile))
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key mode %o", st.Mode().Perm())
	}
	again, err := LoadOrCreate(dir, seal.WriteFileAtomic, nil)
	if err != nil || again.id != k.id {
		t.Fatalf("reload: %v", err)
	}
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tok, err := k.Mint(Claims{Email: "Dev@Example.com", Scopes: []string{"https://www.googleapis.com/auth/drive.readonly"}, TTL: time.Hour}, iss, aud, now)
	if err != nil {
		t.Fatal(err)
	}
	if !LooksLike(tok) {
		t.Error("LooksLike = false")
	}
	v, err := again.Verify(tok, iss, aud, now.Add(time.Minute))
	if err != nil || v.Email != "dev@example.com" || v.Subject != "dev:dev@example.com" || len(v.Scopes) != 1 {
		t.Fatalf("verify = %+v %v", v, err)
	}
	other, _ := LoadOrCreate(t.TempDir(), seal.WriteFileAtomic, nil)
	// Another directory's key; HS256 and none forgeries; wrong issuer/audience; expiry.
	none := func() string {
		h := `{"alg":"none","typ":"` + Type + `","kid":"` + k.id + `"}`
		parts := strings.Split(tok, ".")
		return b64(h) + "." + parts[1] + "."
	}()
	hs := func() string {
		s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte(k.priv.Public().(ed25519.PublicKey))}, (&jose.SignerOptions{}).WithType(Type).WithHeader("kid", k.id))
		raw, _ := jwt.Signed(s).Claims(jwt.Claims{Subject: "dev:x@example.com", Issuer: iss, Audience: jwt.Audience{aud}, Expiry: jwt.NewNumericDate(now.Add(time.Hour))}).Serialize()
		return raw
	}()
	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"other key", func() error { _, err := other.Verify(tok, iss, aud, now); return err }, ErrInvalid},
		{"alg none", func() error { _, err := k.Verify(none, iss, aud, now); return err }, ErrInvalid},
		{"hs256 with the public key", func() error { _, err := k.Verify(hs, iss, aud, now); return err }, ErrInvalid},
		{"wrong issuer", func() error { _, err := k.Verify(tok, "https://evil.example", aud, now); return err }, ErrInvalid},
		{"wrong audience", func() error { _, err := k.Verify(tok, iss, "https://evil.example/mcp", now); return err }, ErrInvalid},
		{"expired", func() error { _, err := k.Verify(tok, iss, aud, now.Add(2*time.Hour)); return err }, ErrExpired},
		{"garbage", func() error { _, err := k.Verify("a.b.c", iss, aud, now); return err }, ErrInvalid},
	}
	for _, tt := range tests {
		if err := tt.run(); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := k.Mint(Claims{Email: "x@example.com", TTL: 365 * 24 * time.Hour}, iss, aud, now); err == nil {
		t.Error("a year-long token was minted")
	}
}

func TestKeyFileChecks(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadOrCreate(dir, seal.WriteFileAtomic, nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, KeyFile)
	os.Chmod(path, 0o644)
	if _, err := LoadOrCreate(dir, seal.WriteFileAtomic, nil); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable key: %v", err)
	}
	os.Chmod(path, 0o600)
	os.WriteFile(path, []byte("junk"), 0o600)
	if _, err := LoadOrCreate(dir, seal.WriteFileAtomic, nil); err == nil || !strings.Contains(err.Error(), "not a PEM key") {
		t.Errorf("junk key: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "junk" {
		t.Error("a bad key file was changed")
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
