package credentials

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gwmcp/gwmcp/internal/seal"
)

// populate writes n credentials in mode and returns them by address.
func populate(t testing.TB, dir string, mode Mode, kr *seal.Keyring, n int) map[string]Credential {
	t.Helper()
	s := openStore(t, dir, mode, kr, nil)
	defer s.Close()
	out := map[string]Credential{}
	for i := range n {
		c := sampleCredential(fmt.Sprintf("user%02d.name@example.com", i), i)
		if err := s.Put(bg, c); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(bg, c.Email)
		if err != nil {
			t.Fatal(err)
		}
		out[got.Email] = got
	}
	return out
}

// verifyAll checks that dir holds exactly want in mode (and nothing in the other file
// modes), each with its original content.
func verifyAll(t testing.TB, dir string, mode Mode, kr *seal.Keyring, want map[string]Credential) {
	t.Helper()
	verifyMode(t, dir, mode, kr, want)
	for _, other := range []Mode{FileEncrypted, FilePlaintext, MemoryWithBackup} {
		if other == mode {
			continue
		}
		if paths, _ := listFiles(dir, other); len(paths) != 0 {
			t.Fatalf("files of %s left: %v", other, paths)
		}
	}
}

// verifyMode checks that dir holds exactly want in mode, each with its original content.
func verifyMode(t testing.TB, dir string, mode Mode, kr *seal.Keyring, want map[string]Credential) {
	t.Helper()
	s := openStore(t, dir, mode, kr, nil)
	defer s.Close()
	list, problems, err := s.List(bg)
	if err != nil || len(problems) != 0 {
		t.Fatalf("List in %s: %v %v", mode, problems, err)
	}
	if len(list) != len(want) {
		t.Fatalf("%s holds %d credentials, want %d", mode, len(list), len(want))
	}
	for _, c := range list {
		if w, ok := want[c.Email]; !ok || !w.Equal(c) {
			t.Fatalf("%s: %s differs from the original", mode, c.Email)
		}
	}
}

func TestMigrateBetweenEveryPairOfFileModes(t *testing.T) {
	fileModes := []Mode{FileEncrypted, FilePlaintext, MemoryWithBackup}
	for _, from := range fileModes {
		for _, to := range fileModes {
			if from == to {
				continue
			}
			t.Run(fmt.Sprintf("%s to %s", from, to), func(t *testing.T) {
				dir := t.TempDir()
				kr := testKeyring(t, 1)
				want := populate(t, dir, from, kr, 5)
				res, err := Migrate(bg, MigrateOptions{Dir: dir, From: from, To: to, Keyring: kr})
				if err != nil || res.Moved != 5 {
					t.Fatalf("Migrate = %+v, %v", res, err)
				}
				verifyAll(t, dir, to, kr, want)
				// A rerun finds nothing to move.
				res, err = Migrate(bg, MigrateOptions{Dir: dir, From: from, To: to, Keyring: kr})
				if err != nil || res.Moved != 0 || res.AlreadyMigrated != 5 {
					t.Fatalf("rerun = %+v, %v", res, err)
				}
			})
		}
	}
}

func TestMigrateRefusesBadModes(t *testing.T) {
	dir := t.TempDir()
	kr := testKeyring(t, 1)
	tests := []struct {
		from, to Mode
		kr       *seal.Keyring
		want     error
	}{
		{FileEncrypted, FileEncrypted, kr, ErrBadModes},
		{MemoryOnly, FileEncrypted, kr, ErrBadModes},
		{FileEncrypted, MemoryOnly, kr, ErrBadModes},
		{FilePlaintext, FileEncrypted, nil, ErrNoKeyring},
	}
	for _, tt := range tests {
		if _, err := Migrate(bg, MigrateOptions{Dir: dir, From: tt.from, To: tt.to, Keyring: tt.kr}); !errors.Is(err, tt.want) {
			t.Errorf("%s -> %s: %v, want %v", tt.from, tt.to, err, tt.want)
		}
	}
	if _, err := Migrate(bg, MigrateOptions{Dir: dir, From: "X", To: FilePlaintext}); err == nil {
		t.Error("unknown mode accepted")
	}
}

func TestMigrateAllOrNothing(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string, kr *seal.Keyring)
		want  error
	}{
		{"broken source", func(t *testing.T, dir string, _ *seal.Keyring) {
			flip(t, filepath.Join(dir, "user02_name_at_example_com_credentials.enc"), 30)
		}, seal.ErrAuthFailed},
		{"source under a lost key", func(t *testing.T, dir string, _ *seal.Keyring) {
			data, _ := encodeFile(sampleCredential("user03.name@example.com", 3), FileEncrypted, testKeyring(t, 8))
			write(t, filepath.Join(dir, "user03_name_at_example_com_credentials.enc"), data)
		}, seal.ErrUnknownKey},
		{"different destination already there", func(t *testing.T, dir string, _ *seal.Keyring) {
			c := sampleCredential("user01.name@example.com", 99)
			c.Email = NormalizeEmail(c.Email)
			data, _ := encodeFile(c, FilePlaintext, nil)
			write(t, filepath.Join(dir, "user01_name_at_example_com_credentials.json"), data)
		}, nil},
		{"unreadable destination in the way", func(t *testing.T, dir string, _ *seal.Keyring) {
			write(t, filepath.Join(dir, "user04_name_at_example_com_credentials.json"), []byte("{"))
		}, ErrUnreadableTarget},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			kr := testKeyring(t, 1)
			populate(t, dir, FileEncrypted, kr, 5)
			tt.setup(t, dir, kr)
			before := dirListing(t, dir)
			_, err := Migrate(bg, MigrateOptions{Dir: dir, From: FileEncrypted, To: FilePlaintext, Keyring: kr})
			var pe *ProblemsError
			if !errors.As(err, &pe) || len(pe.Problems) != 1 {
				t.Fatalf("Migrate = %v", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Migrate = %v, want %v", err, tt.want)
			}
			if after := dirListing(t, dir); !sameListing(before, after) {
				t.Fatal("a refused migration changed the directory")
			}
		})
	}
}

// TestMigrateFinishesEveryHalfDoneState stops a migration after each of its steps (by
// failing the step hook's context) and checks that a rerun completes it.
func TestMigrateFinishesEveryHalfDoneState(t *testing.T) {
	const n = 4
	for stop := 1; stop < 2*n; stop++ {
		t.Run(fmt.Sprintf("after step %d", stop), func(t *testing.T) {
			dir := t.TempDir()
			kr := testKeyring(t, 1)
			want := populate(t, dir, FileEncrypted, kr, n)
			ctx, cancel := context.WithCancel(bg)
			steps := 0
			_, err := Migrate(ctx, MigrateOptions{Dir: dir, From: FileEncrypted, To: FilePlaintext, Keyring: kr,
				afterStep: func(string) {
					if steps++; steps == stop {
						cancel()
					}
				}})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted Migrate = %v", err)
			}
			res, err := Migrate(bg, MigrateOptions{Dir: dir, From: FileEncrypted, To: FilePlaintext, Keyring: kr})
			if err != nil {
				t.Fatalf("rerun: %v", err)
			}
			if res.Moved+res.AlreadyMigrated != n {
				t.Fatalf("rerun result %+v", res)
			}
			verifyAll(t, dir, FilePlaintext, kr, want)
		})
	}
}

func TestMigrateRemovesStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	kr := testKeyring(t, 1)
	want := populate(t, dir, FileEncrypted, kr, 2)
	stale := filepath.Join(dir, ".user00_name_at_example_com_credentials.json.tmp-123")
	other := filepath.Join(dir, ".store.db.tmp-5") // not ours: kept
	write(t, stale, []byte("half"))
	write(t, other, []byte("x"))
	if _, err := Migrate(bg, MigrateOptions{Dir: dir, From: FileEncrypted, To: FilePlaintext, Keyring: kr}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatal("stale temp file kept")
	}
	if _, err := os.Stat(other); err != nil {
		t.Fatal("removed a temp file that is not a credential's")
	}
	verifyAll(t, dir, FilePlaintext, kr, want)
}
