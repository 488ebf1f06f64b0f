package credentials

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gwmcp/gwmcp/internal/seal"
)

func TestRotateKeyResealsEverythingAndRetiresOldKey(t *testing.T) {
	dir := t.TempDir()
	old := keyringOf(t, dir)
	want := populate(t, dir, FileEncrypted, old, 4)
	// A backup file from MEMORY_WITH_BACKUP is sealed too.
	wantBackup := populate(t, dir, MemoryWithBackup, old, 2)
	otherData, _ := old.Seal([]byte("embedded store record"), []byte("store:x"))

	var hookRing *seal.Keyring
	res, err := RotateKey(bg, RotateOptions{Dir: dir, Reseal: func(_ context.Context, kr *seal.Keyring) error {
		hookRing = kr
		pt, err := kr.Open(otherData, []byte("store:x"))
		if err != nil {
			return err
		}
		otherData, err = kr.Seal(pt, []byte("store:x"))
		return err
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Resumed || res.Resealed != 6 || res.Primary == old.Primary() || hookRing.Primary() != res.Primary {
		t.Fatalf("result %+v", res)
	}
	now := keyringOf(t, dir)
	if now.Primary() != res.Primary || now.Has(old.Primary()) || len(now.IDs()) != 1 {
		t.Fatalf("keys after rotation: %v", now.IDs())
	}
	verifyMode(t, dir, FileEncrypted, now, want)
	s := openStore(t, dir, MemoryWithBackup, now, nil)
	for e, c := range wantBackup {
		if got, err := s.Get(bg, e); err != nil || !got.Equal(c) {
			t.Fatalf("backup %s: %v", e, err)
		}
	}
	s.Close()
	if pt, err := now.Open(otherData, []byte("store:x")); err != nil || string(pt) != "embedded store record" {
		t.Fatalf("hook data: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, seal.KeyDirName))
	if len(entries) != 0 {
		t.Fatalf("key directory still holds %v", entries)
	}
}

func TestRotateKeyKeepsOldKeyWhileAFileCannotBeOpened(t *testing.T) {
	dir := t.TempDir()
	old := keyringOf(t, dir)
	want := populate(t, dir, FileEncrypted, old, 3)
	bad := filepath.Join(dir, "user01_name_at_example_com_credentials.enc")
	good := fileBytes(t, bad)
	flip(t, bad, 30)

	_, err := RotateKey(bg, RotateOptions{Dir: dir})
	if !errors.Is(err, seal.ErrAuthFailed) {
		t.Fatalf("RotateKey = %v", err)
	}
	kr := keyringOf(t, dir)
	if !kr.Has(old.Primary()) || len(kr.IDs()) != 2 {
		t.Fatalf("old key not kept: %v", kr.IDs())
	}
	// The user restores the file and reruns: the same rotation finishes.
	write(t, bad, good)
	res, err := RotateKey(bg, RotateOptions{Dir: dir})
	if err != nil || !res.Resumed || res.Primary != kr.Primary() {
		t.Fatalf("rerun = %+v, %v", res, err)
	}
	verifyAll(t, dir, FileEncrypted, keyringOf(t, dir), want)
	if len(keyringOf(t, dir).IDs()) != 1 {
		t.Fatal("old key not retired after the rerun")
	}
}

func TestRotateKeyKeepsOldKeyWhenHookFails(t *testing.T) {
	dir := t.TempDir()
	old := keyringOf(t, dir)
	want := populate(t, dir, FileEncrypted, old, 2)
	boom := errors.New("store unavailable")
	if _, err := RotateKey(bg, RotateOptions{Dir: dir, Reseal: func(context.Context, *seal.Keyring) error { return boom }}); !errors.Is(err, boom) {
		t.Fatalf("RotateKey = %v", err)
	}
	if !keyringOf(t, dir).Has(old.Primary()) {
		t.Fatal("old key deleted although the hook failed")
	}
	calls := 0
	res, err := RotateKey(bg, RotateOptions{Dir: dir, Reseal: func(context.Context, *seal.Keyring) error { calls++; return nil }})
	if err != nil || !res.Resumed || calls != 1 {
		t.Fatalf("rerun = %+v, %v, hook calls %d", res, err, calls)
	}
	verifyAll(t, dir, FileEncrypted, keyringOf(t, dir), want)
}

func TestRotateKeyTwice(t *testing.T) {
	dir := t.TempDir()
	want := populate(t, dir, FileEncrypted, keyringOf(t, dir), 3)
	first, err := RotateKey(bg, RotateOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	second, err := RotateKey(bg, RotateOptions{Dir: dir})
	if err != nil || second.Resumed || second.Primary == first.Primary || second.Resealed != 3 {
		t.Fatalf("second rotation %+v, %v", second, err)
	}
	verifyAll(t, dir, FileEncrypted, keyringOf(t, dir), want)
}
