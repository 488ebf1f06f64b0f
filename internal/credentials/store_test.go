package credentials

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gwmcp/gwmcp/internal/secret"
)

func TestStoreRoundTripEveryMode(t *testing.T) {
	tests := []struct {
		mode     Mode
		file     string // file of alice, "" when nothing is on disk
		survives bool   // a new store sees the credential
	}{
		{FileEncrypted, "alice_b_at_example_com_credentials.enc", true},
		{FilePlaintext, "alice_b_at_example_com_credentials.json", true},
		{MemoryOnly, "", false},
		{MemoryWithBackup, "alice_b_at_example_com_backup.enc", true},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			dir := t.TempDir()
			kr := testKeyring(t, 1)
			clock := newClock()
			s := openStore(t, dir, tt.mode, kr, clock)
			want := sampleCredential("Alice.B@Example.com", 1)
			if err := s.Put(bg, want); err != nil {
				t.Fatal(err)
			}
			got, err := s.Get(bg, "ALICE.b@example.COM ")
			if err != nil {
				t.Fatal(err)
			}
			if got.Email != "alice.b@example.com" || !got.UpdatedAt.Equal(clock.Now()) {
				t.Fatalf("email %q updated %v", got.Email, got.UpdatedAt)
			}
			want.Email = "alice.b@example.com"
			if !sameContent(got, want) {
				t.Fatalf("got %+v, want %+v", got, want)
			}
			if tt.file != "" {
				fi, err := os.Stat(filepath.Join(dir, tt.file))
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != 0o600 {
					t.Fatalf("file mode %v", fi.Mode())
				}
				raw := string(fileBytes(t, filepath.Join(dir, tt.file)))
				if tt.mode.NeedsKeyring() && (strings.Contains(raw, "refresh-1") || strings.Contains(raw, "alice")) {
					t.Fatal("sealed file shows a token or the address")
				}
			} else if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("MEMORY_ONLY wrote %v", entries)
			}
			list, problems, err := s.List(bg)
			if err != nil || len(problems) != 0 || len(list) != 1 || !sameContent(list[0], want) {
				t.Fatalf("List = %v, %v, %v", list, problems, err)
			}
			// The returned credential is a copy.
			got.Scopes[0] = "changed"
			if again, _ := s.Get(bg, want.Email); again.Scopes[0] != "openid" {
				t.Fatal("changing a returned credential changed the store")
			}
			s.Close()

			s2 := openStore(t, dir, tt.mode, kr, clock)
			_, err = s2.Get(bg, want.Email)
			if tt.survives != (err == nil) {
				t.Fatalf("after reopen: %v", err)
			}
			if tt.survives {
				if err := s2.Delete(bg, want.Email); err != nil {
					t.Fatal(err)
				}
				if _, err := s2.Get(bg, want.Email); !errors.Is(err, ErrNotFound) {
					t.Fatalf("Get after Delete: %v", err)
				}
				if tt.file != "" {
					if _, err := os.Stat(filepath.Join(dir, tt.file)); !os.IsNotExist(err) {
						t.Fatal("Delete left the file")
					}
				}
			}
			if err := s2.Delete(bg, want.Email); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Delete of a missing account: %v", err)
			}
		})
	}
}

func TestOpenNeedsKeyringForSealedModes(t *testing.T) {
	for _, m := range []Mode{FileEncrypted, MemoryWithBackup} {
		if _, err := Open(Options{Dir: t.TempDir(), Mode: m}); !errors.Is(err, ErrNoKeyring) {
			t.Fatalf("%s without keyring: %v", m, err)
		}
	}
	if _, err := Open(Options{Dir: t.TempDir(), Mode: "BOGUS"}); err == nil || !strings.Contains(err.Error(), "FILE_ENCRYPTED") {
		t.Fatalf("bad mode: %v", err)
	}
	s, err := Open(Options{Dir: t.TempDir(), Mode: FilePlaintext})
	if err != nil || !s.Plaintext() || s.Mode() != FilePlaintext {
		t.Fatalf("plaintext store: %v", err)
	}
	s.Close()
}

func TestOpenCreatesPrivateDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "creds")
	openStore(t, dir, FileEncrypted, testKeyring(t, 1), nil)
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("dir: %v %v", fi, err)
	}
}

func TestPutRejectsBadInput(t *testing.T) {
	s := openStore(t, t.TempDir(), FileEncrypted, testKeyring(t, 1), nil)
	tests := []struct {
		name string
		c    Credential
		want error
	}{
		{"no email", Credential{RefreshToken: secret.New("r")}, ErrInvalidEmail},
		{"path in email", Credential{Email: "../x@y.z/", RefreshToken: secret.New("r")}, ErrInvalidEmail},
		{"no tokens", Credential{Email: "a@b.c"}, ErrInvalidCredential},
	}
	for _, tt := range tests {
		if err := s.Put(bg, tt.c); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestNameCollisionNeverOverwrites(t *testing.T) {
	for _, mode := range []Mode{FileEncrypted, FilePlaintext, MemoryWithBackup} {
		t.Run(string(mode), func(t *testing.T) {
			dir := t.TempDir()
			s := openStore(t, dir, mode, testKeyring(t, 1), nil)
			dotted := sampleCredential("first.last@example.com", 1)
			if err := s.Put(bg, dotted); err != nil {
				t.Fatal(err)
			}
			before := dirListing(t, dir)
			under := sampleCredential("first_last@example.com", 2)
			if err := s.Put(bg, under); !errors.Is(err, ErrNameCollision) {
				t.Fatalf("Put of colliding address: %v", err)
			}
			if mode != MemoryWithBackup {
				if _, err := s.Get(bg, under.Email); !errors.Is(err, ErrNameCollision) {
					t.Fatalf("Get of colliding address: %v", err)
				}
			}
			if err := s.Delete(bg, under.Email); err == nil {
				t.Fatal("Delete of colliding address removed the other account's file")
			}
			if after := dirListing(t, dir); len(after) != len(before) || after[SafeName(dotted.Email)+mode.suffix()] != before[SafeName(dotted.Email)+mode.suffix()] {
				t.Fatal("the first account's file changed")
			}
			if got, err := s.Get(bg, dotted.Email); err != nil || !sameContent(got, func() Credential { d := dotted; d.Email = "first.last@example.com"; return d }()) {
				t.Fatalf("first account: %v", err)
			}
		})
	}
}

func TestCacheSeesOwnWritesAndOtherProcesses(t *testing.T) {
	dir := t.TempDir()
	kr := testKeyring(t, 1)
	clock := newClock()
	a := openStore(t, dir, FileEncrypted, kr, clock)
	b := openStore(t, dir, FileEncrypted, kr, clock) // stands for another process
	c1 := sampleCredential("alice@example.com", 1)
	if err := a.Put(bg, c1); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Get(bg, c1.Email); err != nil { // warm
		t.Fatal(err)
	}
	c2 := c1
	c2.AccessToken = secret.New("ya29.second")
	if err := a.Put(bg, c2); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.Get(bg, c1.Email); got.AccessToken.Reveal() != "ya29.second" {
		t.Fatal("cache not updated by Put")
	}
	// b warms its cache, then a writes: b sees it once the revalidation interval passes.
	if _, err := b.Get(bg, c1.Email); err != nil {
		t.Fatal(err)
	}
	c3 := c1
	c3.AccessToken = secret.New("ya29.third-and-longer")
	if err := a.Put(bg, c3); err != nil {
		t.Fatal(err)
	}
	clock.Advance(DefaultRevalidate + time.Millisecond)
	if got, _ := b.Get(bg, c1.Email); got.AccessToken.Reveal() != "ya29.third-and-longer" {
		t.Fatalf("other process's write not seen: %q", got.AccessToken.Reveal())
	}
	if err := a.Delete(bg, c1.Email); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Get(bg, c1.Email); !errors.Is(err, ErrNotFound) {
		t.Fatal("cache not invalidated by Delete")
	}
	clock.Advance(DefaultRevalidate + time.Millisecond)
	if _, err := b.Get(bg, c1.Email); !errors.Is(err, ErrNotFound) {
		t.Fatalf("other process's delete not seen: %v", err)
	}
}

func TestUpdate(t *testing.T) {
	for _, mode := range Modes {
		t.Run(string(mode), func(t *testing.T) {
			s := openStore(t, t.TempDir(), mode, testKeyring(t, 1), nil)
			if _, err := s.Update(bg, "alice@example.com", func(*Credential) error { return nil }); !errors.Is(err, ErrNotFound) {
				t.Fatalf("update of missing: %v", err)
			}
			if err := s.Put(bg, sampleCredential("alice@example.com", 1)); err != nil {
				t.Fatal(err)
			}
			got, err := s.Update(bg, "Alice@example.com", func(c *Credential) error {
				c.Scopes = append(c.Scopes, "extra")
				return nil
			})
			if err != nil || got.Scopes[len(got.Scopes)-1] != "extra" {
				t.Fatalf("update: %v", err)
			}
			boom := errors.New("boom")
			if _, err := s.Update(bg, "alice@example.com", func(c *Credential) error { c.Scopes = nil; return boom }); !errors.Is(err, boom) {
				t.Fatalf("fn error: %v", err)
			}
			if _, err := s.Update(bg, "alice@example.com", func(c *Credential) error { c.Email = "eve@example.com"; return nil }); !errors.Is(err, ErrInvalidCredential) {
				t.Fatalf("address change: %v", err)
			}
			if c, _ := s.Get(bg, "alice@example.com"); len(c.Scopes) != 4 {
				t.Fatalf("failed updates changed the credential: %v", c.Scopes)
			}
		})
	}
}

func TestGetBySubject(t *testing.T) {
	for _, mode := range Modes {
		t.Run(string(mode), func(t *testing.T) {
			dir := t.TempDir()
			kr := testKeyring(t, 1)
			s := openStore(t, dir, mode, kr, nil)
			for i, e := range []string{"a@x.com", "b@x.com", "c@x.com"} {
				if err := s.Put(bg, sampleCredential(e, i)); err != nil {
					t.Fatal(err)
				}
			}
			if mode.Persistent() && mode != MemoryWithBackup {
				s.Close()
				s = openStore(t, dir, mode, kr, nil) // cold cache
			}
			c, err := s.GetBySubject(bg, "10001")
			if err != nil || c.Email != "b@x.com" {
				t.Fatalf("GetBySubject = %v, %v", c.Email, err)
			}
			if _, err := s.GetBySubject(bg, "nope"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("unknown sub: %v", err)
			}
		})
	}
}

func TestMigrationRefusedWhileStoreOpen(t *testing.T) {
	dir := t.TempDir()
	kr := testKeyring(t, 1)
	s := openStore(t, dir, FileEncrypted, kr, nil)
	_, err := Migrate(bg, MigrateOptions{Dir: dir, From: FileEncrypted, To: FilePlaintext, Keyring: kr})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("Migrate beside an open store: %v", err)
	}
	if _, err := RotateKey(bg, RotateOptions{Dir: dir}); !errors.Is(err, ErrLocked) {
		t.Fatalf("RotateKey beside an open store: %v", err)
	}
	s.Close()
	if _, err := Migrate(bg, MigrateOptions{Dir: dir, From: FileEncrypted, To: FilePlaintext, Keyring: kr}); err != nil {
		t.Fatalf("Migrate after Close: %v", err)
	}
}
