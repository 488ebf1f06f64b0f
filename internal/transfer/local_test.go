package transfer_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gwmcp/gwmcp/internal/transfer"
)

func newLocal(t *testing.T) (*transfer.Service, string, string) {
	t.Helper()
	base := t.TempDir()
	dir := filepath.Join(base, "transfer")
	outside := filepath.Join(base, "secret.txt")
	if err := os.WriteFile(outside, []byte("top secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	svc, err := transfer.New(transfer.Options{LocalDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	if !svc.Local() || svc.Dir() != dir {
		t.Fatalf("Local() = %v, Dir() = %q", svc.Local(), svc.Dir())
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("local dir not created 0700: %v %v", st, err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "report.pdf"), []byte("pdf bytes"), 0o600))
	must(os.MkdirAll(filepath.Join(dir, "sub", "deeper"), 0o700))
	must(os.WriteFile(filepath.Join(dir, "sub", "deeper", "notes.txt"), []byte("notes"), 0o600))
	must(os.Symlink(outside, filepath.Join(dir, "link-out")))                             // symlink pointing outside
	must(os.Symlink("../report.pdf", filepath.Join(dir, "sub", "link-in")))               // relative symlink staying inside
	must(os.Symlink(filepath.Join(dir, "report.pdf"), filepath.Join(dir, "abs-link-in"))) // absolute symlink: os.Root refuses
	must(os.Symlink(base, filepath.Join(dir, "sub", "dir-out")))                          // directory symlink out
	must(os.Symlink("../../secret.txt", filepath.Join(dir, "sub", "relative-out")))       // relative symlink out
	return svc, dir, outside
}

func TestOpenLocal(t *testing.T) {
	svc, dir, outside := newLocal(t)
	tests := []struct {
		name    string
		want    string // content, or "" for an error
		wantErr error
	}{
		{name: "report.pdf", want: "pdf bytes"},
		{name: "sub/deeper/notes.txt", want: "notes"},
		{name: "sub/../report.pdf", want: "pdf bytes"},
		{name: filepath.Join(dir, "report.pdf"), want: "pdf bytes"},
		{name: "sub/link-in", want: "pdf bytes"},
		{name: "abs-link-in", wantErr: transfer.ErrOutside},
		{name: "../secret.txt", wantErr: transfer.ErrOutside},
		{name: "sub/../../secret.txt", wantErr: transfer.ErrOutside},
		{name: "/etc/passwd", wantErr: transfer.ErrOutside},
		{name: outside, wantErr: transfer.ErrOutside},
		{name: "link-out", wantErr: transfer.ErrOutside},
		{name: "sub/relative-out", wantErr: transfer.ErrOutside},
		{name: "sub/dir-out/secret.txt", wantErr: transfer.ErrOutside},
		{name: "missing.txt", wantErr: fs.ErrNotExist},
		{name: "sub", wantErr: transfer.ErrNotRegular},
		{name: "", wantErr: transfer.ErrBadName},
		{name: "a\x00b", wantErr: transfer.ErrBadName},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := svc.OpenLocal(tc.name)
			if tc.wantErr != nil {
				if f != nil {
					b, _ := io.ReadAll(f)
					f.Close()
					t.Fatalf("opened, read %q", b)
				}
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "top secret") {
					t.Fatal("error leaks content")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			b, _ := io.ReadAll(f)
			if string(b) != tc.want {
				t.Errorf("read %q, want %q", b, tc.want)
			}
		})
	}
}

func TestCreateLocal(t *testing.T) {
	svc, dir, outside := newLocal(t)
	tests := []struct {
		name     string
		wantPath string
		wantErr  error
	}{
		{name: "new.txt", wantPath: "new.txt"},
		{name: "report.pdf", wantPath: "report (1).pdf"}, // taken: never overwritten
		{name: "report.pdf", wantPath: "report (2).pdf"},
		{name: "exports/2026/q1.csv", wantPath: "exports/2026/q1.csv"},
		{name: ".hidden", wantPath: ".hidden"},
		{name: ".hidden", wantPath: ".hidden (1)"},
		{name: "link-out", wantPath: "link-out (1)"}, // a symlink's name is taken too: not followed
		{name: filepath.Join(dir, "abs.txt"), wantPath: "abs.txt"},
		{name: "../escape.txt", wantErr: transfer.ErrOutside},
		{name: "/etc/passwd", wantErr: transfer.ErrOutside},
		{name: outside, wantErr: transfer.ErrOutside},
		{name: "sub/dir-out/planted.txt", wantErr: transfer.ErrOutside},
		{name: "sub/dir-out/newdir/planted.txt", wantErr: transfer.ErrOutside},
		{name: "", wantErr: transfer.ErrBadName},
		{name: ".", wantErr: transfer.ErrBadName},
		{name: "folder/", wantErr: transfer.ErrBadName},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, path, err := svc.CreateLocal(tc.name)
			if tc.wantErr != nil {
				if f != nil {
					f.Close()
					t.Fatalf("created %s", path)
				}
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if want := filepath.Join(dir, tc.wantPath); path != want {
				t.Errorf("path %q, want %q", path, want)
			}
			if _, err := f.WriteString("written"); err != nil {
				t.Fatal(err)
			}
			if st, _ := f.Stat(); st.Mode().Perm() != 0o600 {
				t.Errorf("mode %v", st.Mode())
			}
		})
	}
	// Nothing outside changed, and the existing file kept its content.
	if b, _ := os.ReadFile(outside); string(b) != "top secret" {
		t.Errorf("outside file now %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "report.pdf")); string(b) != "pdf bytes" {
		t.Errorf("existing file overwritten: %q", b)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "planted.txt")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a file was planted outside: %v", err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "newdir")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a directory was created outside: %v", err)
	}
}

func TestNotLocal(t *testing.T) {
	svc, err := transfer.New(transfer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Local() {
		t.Error("Local() without a directory")
	}
	if _, err := svc.OpenLocal("x"); !errors.Is(err, transfer.ErrNotLocal) {
		t.Errorf("OpenLocal: %v", err)
	}
	if _, _, err := svc.CreateLocal("x"); !errors.Is(err, transfer.ErrNotLocal) {
		t.Errorf("CreateLocal: %v", err)
	}
}
