package credentials

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gwmcp/gwmcp/internal/seal"
)

// TestBadFilesAreReportedAndLeftAlone damages one account's file in each way a file can
// be damaged and checks that: reading it gives its own error; writing that account is
// refused and leaves the file byte for byte; the other accounts still work; List
// returns the good ones and names the bad file.
func TestBadFilesAreReportedAndLeftAlone(t *testing.T) {
	const victim, bystander = "victim@example.com", "ok@example.com"
	tests := []struct {
		name   string
		mode   Mode
		damage func(t *testing.T, dir, path string)
		want   error
	}{
		{"truncated", FileEncrypted, func(t *testing.T, _, p string) { truncate(t, p, 10) }, seal.ErrTruncated},
		{"truncated tail", FileEncrypted, func(t *testing.T, _, p string) { truncate(t, p, len(fileBytes(t, p))-5) }, seal.ErrAuthFailed},
		{"flipped byte", FileEncrypted, func(t *testing.T, _, p string) { flip(t, p, 40) }, seal.ErrAuthFailed},
		{"flipped key id", FileEncrypted, func(t *testing.T, _, p string) { flip(t, p, 3) }, seal.ErrUnknownKey},
		{"unknown version", FileEncrypted, func(t *testing.T, _, p string) { flip(t, p, 0) }, seal.ErrUnknownVersion},
		{"wrong key", FileEncrypted, func(t *testing.T, _, p string) {
			other := testKeyring(t, 9)
			data, err := encodeFile(sampleCredential(victim, 1), FileEncrypted, other)
			if err != nil {
				t.Fatal(err)
			}
			write(t, p, data)
		}, seal.ErrUnknownKey},
		{"renamed from another account", FileEncrypted, func(t *testing.T, dir, p string) {
			write(t, p, fileBytes(t, filepath.Join(dir, SafeName(bystander)+"_credentials.enc")))
		}, seal.ErrAuthFailed},
		{"empty", FileEncrypted, func(t *testing.T, _, p string) { write(t, p, nil) }, ErrEmptyFile},
		{"directory", FileEncrypted, func(t *testing.T, _, p string) {
			os.Remove(p)
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
		}, ErrNotRegularFile},
		{"python fernet file", FileEncrypted, func(t *testing.T, _, p string) { write(t, p, []byte("Z0FBQUFBQm1...==")) }, seal.ErrUnknownVersion},
		{"backup flipped", MemoryWithBackup, func(t *testing.T, _, p string) { flip(t, p, 30) }, seal.ErrAuthFailed},
		{"backup empty", MemoryWithBackup, func(t *testing.T, _, p string) { write(t, p, nil) }, ErrEmptyFile},
		{"plaintext not json", FilePlaintext, func(t *testing.T, _, p string) { write(t, p, []byte("{not json")) }, ErrCorrupt},
		{"plaintext truncated", FilePlaintext, func(t *testing.T, _, p string) { truncate(t, p, 20) }, ErrCorrupt},
		{"plaintext python format", FilePlaintext, func(t *testing.T, _, p string) {
			write(t, p, []byte(`{"token":"ya29.x","refresh_token":"1//r","client_id":"c","client_secret":"s"}`))
		}, ErrCorrupt},
		{"plaintext renamed", FilePlaintext, func(t *testing.T, dir, p string) {
			write(t, p, fileBytes(t, filepath.Join(dir, SafeName(bystander)+"_credentials.json")))
		}, ErrWrongAccount},
		{"plaintext empty", FilePlaintext, func(t *testing.T, _, p string) { write(t, p, nil) }, ErrEmptyFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			kr := testKeyring(t, 1)
			s := openStore(t, dir, tt.mode, kr, nil)
			for i, e := range []string{victim, bystander} {
				if err := s.Put(bg, sampleCredential(e, i)); err != nil {
					t.Fatal(err)
				}
			}
			s.Close()
			path := filepath.Join(dir, SafeName(victim)+tt.mode.suffix())
			tt.damage(t, dir, path)
			before := dirListing(t, dir)

			s = openStore(t, dir, tt.mode, kr, nil)
			if tt.mode != MemoryWithBackup { // backups are only read at Open
				_, err := s.Get(bg, victim)
				if !errors.Is(err, tt.want) {
					t.Fatalf("Get = %v, want %v", err, tt.want)
				}
			}
			err := s.Put(bg, sampleCredential(victim, 7))
			if !errors.Is(err, ErrUnreadableTarget) || !errors.Is(err, tt.want) {
				t.Fatalf("Put over the damaged file = %v", err)
			}
			if err := s.Delete(bg, victim); err == nil {
				t.Fatal("Delete removed the damaged file")
			}
			if got, err := s.Get(bg, bystander); err != nil || got.Email != bystander {
				t.Fatalf("other account: %v", err)
			}
			list, problems, err := s.List(bg)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 1 || list[0].Email != bystander {
				t.Fatalf("List credentials = %v", list)
			}
			if len(problems) != 1 || problems[0].Path != path || !errors.Is(problems[0].Err, tt.want) {
				t.Fatalf("List problems = %v", problems)
			}
			if after := dirListing(t, dir); !sameListing(before, after) {
				t.Fatalf("the directory changed:\nbefore %q\nafter  %q", keys(before), keys(after))
			}
		})
	}
}

func TestInsecureKeyFileRefusedAndKept(t *testing.T) {
	dir := t.TempDir()
	keyPath := filepath.Join(dir, seal.KeyFileName)
	kr := keyringOf(t, dir)
	s := openStore(t, dir, FileEncrypted, kr, nil)
	if err := s.Put(bg, sampleCredential("a@example.com", 1)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Chmod(keyPath, 0o644); err != nil {
		t.Fatal(err)
	}
	before := dirListing(t, dir)
	_, err := seal.NewKeyStore(dir, nil).Load()
	if !errors.Is(err, seal.ErrInsecureKeyFile) {
		t.Fatalf("Load with a world-readable key: %v", err)
	}
	if _, err := RotateKey(bg, RotateOptions{Dir: dir}); !errors.Is(err, seal.ErrInsecureKeyFile) {
		t.Fatalf("RotateKey with a world-readable key: %v", err)
	}
	if after := dirListing(t, dir); !sameListing(before, after) {
		t.Fatal("the directory changed")
	}
}

func truncate(t *testing.T, p string, n int) {
	t.Helper()
	write(t, p, fileBytes(t, p)[:n])
}

func flip(t *testing.T, p string, i int) {
	t.Helper()
	b := fileBytes(t, p)
	b[i] ^= 0x40
	write(t, p, b)
}

func write(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// sameListing compares two listings, ignoring the lock file.
func sameListing(a, b map[string]string) bool {
	delete(a, lockFileName)
	delete(b, lockFileName)
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
