package credentials

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/gwmcp/gwmcp/internal/seal"
)

// RotateOptions configure RotateKey.
type RotateOptions struct {
	Dir  string
	Rand io.Reader // source of the new key; nil means crypto/rand
	// Reseal, if set, re-seals other data sealed with this directory's keys (for
	// example the embedded store) using kr, whose primary is the new key and which still
	// opens everything sealed with the old ones. It runs after every credential file is
	// re-sealed and before the old keys are deleted, and runs again when an interrupted
	// rotation is resumed, so it must be idempotent.
	Reseal func(ctx context.Context, kr *seal.Keyring) error
	Logger *slog.Logger

	// afterStep, when set (tests only), runs after each file re-sealed.
	afterStep func(path string)
}

// RotateResult reports a finished rotation.
type RotateResult struct {
	Primary  seal.KeyID // the key everything is now sealed with
	Resealed int        // credential files re-sealed by this run
	Resumed  bool       // an interrupted rotation was finished instead of a new one started
}

// RotateKey makes a new primary key and re-seals every credential file
// ({safe}_credentials.enc and {safe}_backup.enc) with it, then calls opts.Reseal, and
// only then deletes the old key. Killed at any instant and rerun, it finishes the
// rotation it started (see the seal package for the key-file protocol). If a file
// cannot be opened, it stops before deleting any key and reports the file. It needs
// the directory exclusively (no server running) and a key file, not AUTH_ENCRYPTION_KEY.
func RotateKey(ctx context.Context, opts RotateOptions) (RotateResult, error) {
	var res RotateResult
	if opts.Dir == "" {
		return res, fmt.Errorf("credentials: rotate key: no directory given")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if fi, err := os.Stat(opts.Dir); err != nil || !fi.IsDir() {
		return res, fmt.Errorf("credentials: rotate key: %s is not a directory", opts.Dir)
	}
	lock, err := lockDir(opts.Dir, true)
	if err != nil {
		return res, fmt.Errorf("credentials: rotate key: %w", err)
	}
	defer lock.unlock()
	removeStaleTemps(opts.Dir, FileEncrypted, MemoryWithBackup)

	ks := seal.NewKeyStore(opts.Dir, opts.Rand)
	kr, resumed, err := ks.BeginRotation()
	if err != nil {
		return res, fmt.Errorf("credentials: %w", err)
	}
	res.Resumed = resumed
	res.Primary = kr.Primary()

	var problems []Problem
	for _, mode := range []Mode{FileEncrypted, MemoryWithBackup} {
		paths, err := listFiles(opts.Dir, mode)
		if err != nil {
			return res, fmt.Errorf("credentials: rotate key: %w", err)
		}
		for _, p := range paths {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			did, err := reseal(p, mode, kr)
			if err != nil {
				problems = append(problems, Problem{Path: p, Err: err})
				continue
			}
			if did {
				res.Resealed++
				if opts.afterStep != nil {
					opts.afterStep(p)
				}
			}
		}
	}
	if len(problems) > 0 {
		return res, &ProblemsError{Op: "key rotation (the old keys are kept)", Problems: problems}
	}
	if opts.Reseal != nil {
		if err := opts.Reseal(ctx, kr); err != nil {
			return res, fmt.Errorf("credentials: rotate key: re-sealing other data (the old keys are kept): %w", err)
		}
	}
	if err := ks.FinishRotation(); err != nil {
		return res, fmt.Errorf("credentials: %w", err)
	}
	log.Info("encryption key rotated", "key_id", res.Primary.String(), "resealed", res.Resealed, "resumed", res.Resumed)
	return res, nil
}

// reseal re-seals one file under kr's primary key if it is not already, and reports
// whether it wrote. The plaintext is kept byte for byte.
func reseal(path string, mode Mode, kr *seal.Keyring) (bool, error) {
	data, _, err := readRaw(path)
	if err != nil {
		return false, err
	}
	plain, err := openPlain(path, data, mode, kr)
	if err != nil {
		return false, err
	}
	if _, err := decodeRecord(path, plain, mode); err != nil {
		return false, err
	}
	if id, _ := seal.EnvelopeKeyID(data); id == kr.Primary() {
		return false, nil
	}
	aad := aadFor(safeFromPath(path, mode))
	env, err := kr.Seal(plain, aad)
	if err != nil {
		return false, fmt.Errorf("re-seal %s: %w", path, err)
	}
	if err := seal.WriteFileAtomic(path, env, filePerm); err != nil {
		return false, err
	}
	back, _, err := readRaw(path)
	if err != nil {
		return false, err
	}
	got, err := kr.Open(back, aad)
	if err != nil || !bytes.Equal(got, plain) {
		return false, fmt.Errorf("re-seal %s: the file does not read back as written: %v", path, err)
	}
	return true, nil
}
