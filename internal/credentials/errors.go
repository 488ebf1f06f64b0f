package credentials

import (
	"errors"
	"fmt"
	"strings"
)

// Errors of this package; the seal package's errors (seal.ErrAuthFailed,
// seal.ErrUnknownKey, seal.ErrTruncated, seal.ErrUnknownVersion, ...) also come through
// wrapped. Compare with errors.Is.
var (
	ErrNotFound          = errors.New("no stored credential for this account")
	ErrInvalidEmail      = errors.New("invalid account address")
	ErrInvalidCredential = errors.New("invalid credential")
	ErrEmptyFile         = errors.New("credential file is empty")
	ErrNotRegularFile    = errors.New("a directory or other non-file is where a credential file should be")
	ErrCorrupt           = errors.New("credential file does not hold a valid gwmcp credential")
	ErrWrongAccount      = errors.New("credential file holds another account than its name says (was it renamed?)")
	ErrNameCollision     = errors.New("another account's credential already uses this file name (the addresses differ only in '.' and '_')")
	ErrUnreadableTarget  = errors.New("an existing file that cannot be read is in the way; it was left untouched: move it aside and retry")
	ErrLocked            = errors.New("the credentials directory is in use by another gwmcp process (stop the server first)")
	ErrNoKeyring         = errors.New("this storage mode encrypts and needs a keyring")
	ErrBadModes          = errors.New("invalid migration")
)

// Problem is one file that could not be used, with the reason.
type Problem struct {
	Path string
	Err  error
}

func (p Problem) Error() string { return p.Err.Error() }
func (p Problem) Unwrap() error { return p.Err }

// ProblemsError reports an operation stopped because of files it could not use. Nothing
// was lost; errors.Is matches any of the underlying errors.
type ProblemsError struct {
	Op       string
	Problems []Problem
}

func (e *ProblemsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "credentials: %s stopped, %d file(s) could not be used (nothing was lost; fix or move them aside and rerun):", e.Op, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.Err.Error())
	}
	return b.String()
}

func (e *ProblemsError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p.Err
	}
	return errs
}
