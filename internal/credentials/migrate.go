package credentials

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/gwmcp/gwmcp/internal/seal"
)

// MigrateOptions say which directory to migrate between which modes.
type MigrateOptions struct {
	Dir      string
	From, To Mode
	Keyring  *seal.Keyring // required when From or To encrypts
	Logger   *slog.Logger

	// afterStep, when set (tests only), runs after each file written or removed.
	afterStep func(path string)
}

// MigrateResult counts what Migrate did.
type MigrateResult struct {
	Moved           int // credentials moved by this run
	AlreadyMigrated int // credentials that were only in the destination mode already
}

// Migrate moves every credential in Dir from one file mode to another. Every credential
// moves or none does: it first reads every source (and any destination already there),
// stops without changing anything if one cannot be used, then writes and verifies every
// destination, and only then removes the sources. Interrupted at any point, a rerun
// finishes the job: destinations already written with the same content are kept.
// It needs the directory exclusively (no server running).
func Migrate(ctx context.Context, opts MigrateOptions) (MigrateResult, error) {
	var res MigrateResult
	if err := checkMigrationModes(opts); err != nil {
		return res, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if fi, err := os.Stat(opts.Dir); err != nil || !fi.IsDir() {
		return res, fmt.Errorf("credentials: migrate: %s is not a directory", opts.Dir)
	}
	lock, err := lockDir(opts.Dir, true)
	if err != nil {
		return res, fmt.Errorf("credentials: migrate: %w", err)
	}
	defer lock.unlock()
	removeStaleTemps(opts.Dir, opts.From, opts.To)

	// Phase 1: read everything, change nothing.
	sources, err := listFiles(opts.Dir, opts.From)
	if err != nil {
		return res, fmt.Errorf("credentials: migrate: %w", err)
	}
	type move struct {
		src, dst string
		cred     Credential
		done     bool // destination already holds exactly this credential
	}
	var moves []move
	var problems []Problem
	srcNames := map[string]bool{}
	for _, src := range sources {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		c, _, err := readFile(src, opts.From, opts.Keyring)
		if err != nil {
			problems = append(problems, Problem{Path: src, Err: err})
			continue
		}
		dst := filePath(opts.Dir, c.Email, opts.To)
		srcNames[filepath.Base(dst)] = true
		m := move{src: src, dst: dst, cred: c}
		existing, _, err := readFile(dst, opts.To, opts.Keyring)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			problems = append(problems, Problem{Path: dst, Err: fmt.Errorf("%w: %w", ErrUnreadableTarget, err)})
		case existing.Equal(c):
			m.done = true
		default:
			problems = append(problems, Problem{Path: dst, Err: fmt.Errorf("migrate %s: %s already holds a different credential for %s; remove the one you do not want and rerun", src, dst, existing.Email)})
		}
		moves = append(moves, m)
	}
	if len(problems) > 0 {
		return res, &ProblemsError{Op: fmt.Sprintf("migration from %s to %s", opts.From, opts.To), Problems: problems}
	}
	dsts, err := listFiles(opts.Dir, opts.To)
	if err != nil {
		return res, fmt.Errorf("credentials: migrate: %w", err)
	}
	for _, d := range dsts {
		if !srcNames[filepath.Base(d)] {
			res.AlreadyMigrated++
		}
	}

	// Phase 2: write and verify every destination.
	for _, m := range moves {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if m.done {
			continue
		}
		data, err := encodeFile(m.cred, opts.To, opts.Keyring)
		if err != nil {
			return res, fmt.Errorf("credentials: migrate: %w", err)
		}
		if err := seal.WriteFileAtomic(m.dst, data, filePerm); err != nil {
			return res, fmt.Errorf("credentials: migrate: %w", err)
		}
		back, _, err := readFile(m.dst, opts.To, opts.Keyring)
		if err != nil || !back.Equal(m.cred) {
			return res, fmt.Errorf("credentials: migrate: %s does not read back as written (sources kept): %v", m.dst, err)
		}
		opts.step(m.dst)
	}

	// Phase 3: every destination is in place; remove the sources.
	for _, m := range moves {
		if err := ctx.Err(); err != nil {
			return res, err // every credential is readable in the destination already
		}
		if err := seal.RemoveFile(m.src); err != nil {
			return res, fmt.Errorf("credentials: migrate: %w", err)
		}
		res.Moved++
		opts.step(m.src)
	}
	log.Info("credentials migrated", "from", opts.From, "to", opts.To, "moved", res.Moved, "already_migrated", res.AlreadyMigrated)
	return res, nil
}

func (o MigrateOptions) step(path string) {
	if o.afterStep != nil {
		o.afterStep(path)
	}
}

func checkMigrationModes(o MigrateOptions) error {
	for _, m := range []Mode{o.From, o.To} {
		if !m.valid() {
			_, err := ParseMode(string(m))
			return fmt.Errorf("credentials: migrate: %w", err)
		}
	}
	switch {
	case o.From == o.To:
		return fmt.Errorf("credentials: migrate: %w: the credentials are already in %s", ErrBadModes, o.To)
	case o.From == MemoryOnly:
		return fmt.Errorf("credentials: migrate: %w: MEMORY_ONLY keeps nothing on disk, so there is nothing to migrate", ErrBadModes)
	case o.To == MemoryOnly:
		return fmt.Errorf("credentials: migrate: %w: MEMORY_ONLY keeps nothing on disk, so migrating to it would delete every credential; set CREDENTIAL_STORAGE_MODE=MEMORY_ONLY and remove the files yourself if that is what you want", ErrBadModes)
	case (o.From.NeedsKeyring() || o.To.NeedsKeyring()) && o.Keyring == nil:
		return fmt.Errorf("credentials: migrate: %w", ErrNoKeyring)
	case o.Dir == "":
		return fmt.Errorf("credentials: migrate: no directory given")
	}
	return nil
}
