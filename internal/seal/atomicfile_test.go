package seal

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a_credentials.enc")
	for _, content := range []string{"first", "second, longer content", ""} {
		if err := WriteFileAtomic(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil || string(b) != content {
			t.Fatalf("read %q, %v", b, err)
		}
		fi, _ := os.Stat(p)
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v", fi.Mode())
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestWriteFileAtomicFailsCleanly(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "target")
	if err := os.Mkdir(p, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p, "inside"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(p, []byte("x"), 0o600); err == nil {
		t.Fatal("replaced a non-empty directory")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "f"), []byte("x"), 0o600); err == nil {
		t.Fatal("wrote into a missing directory")
	}
}

func TestCreateExclusive(t *testing.T) {
	p := filepath.Join(t.TempDir(), "k")
	if err := createExclusive(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := createExclusive(p, []byte("two"), 0o600); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second create: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "one" {
		t.Fatalf("content %q", b)
	}
}

func TestIsTempFile(t *testing.T) {
	tests := map[string]bool{
		".a_credentials.enc.tmp-12345": true,
		".x.tmp-1":                     true,
		"a_credentials.enc":            false,
		".auth_encryption_key":         false,
		".tmp-1":                       false,
		"":                             false,
	}
	for name, want := range tests {
		if got := IsTempFile(name); got != want {
			t.Errorf("IsTempFile(%q) = %v, want %v", name, got, want)
		}
	}
}
