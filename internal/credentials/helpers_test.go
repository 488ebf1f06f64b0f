package credentials

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/seal"
	"github.com/gwmcp/gwmcp/internal/secret"
)

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func testKeyring(t testing.TB, b byte) *seal.Keyring {
	t.Helper()
	k, err := seal.NewKeyring(bytes.Repeat([]byte{b}, seal.KeySize), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// keyringOf loads (creating) the key files of dir.
func keyringOf(t testing.TB, dir string) *seal.Keyring {
	t.Helper()
	k, err := seal.NewKeyStore(dir, nil).Load()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func openStore(t testing.TB, dir string, mode Mode, kr *seal.Keyring, clock *fakeClock) *Store {
	t.Helper()
	opts := Options{Dir: dir, Mode: mode, Keyring: kr}
	if clock != nil {
		opts.Now = clock.Now
	}
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func sampleCredential(email string, n int) Credential {
	return Credential{
		Email:        email,
		Subject:      fmt.Sprintf("1000%d", n),
		RefreshToken: secret.New(fmt.Sprintf("1//refresh-%d-%s", n, email)),
		AccessToken:  secret.New(fmt.Sprintf("ya29.access-%d", n)),
		TokenType:    "Bearer",
		Expiry:       time.Date(2026, 3, 1, 13, 0, n%60, 0, time.UTC),
		Scopes:       []string{"openid", "email", "https://www.googleapis.com/auth/drive.readonly"},
		ClientID:     "123.apps.googleusercontent.com",
	}
}

// sameContent compares two credentials ignoring UpdatedAt.
func sameContent(a, b Credential) bool {
	a.UpdatedAt, b.UpdatedAt = time.Time{}, time.Time{}
	return a.Equal(b)
}

var bg = context.Background()

func fileBytes(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func dirListing(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			out[e.Name()] = "dir"
			continue
		}
		out[e.Name()] = string(fileBytes(t, filepath.Join(dir, e.Name())))
	}
	return out
}
