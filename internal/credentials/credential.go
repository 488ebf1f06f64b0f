// Package credentials owns the Google credentials gwmcp keeps for each account: the
// Credential type, the four storage modes and their files under CREDENTIALS_DIR, a
// warm in-memory cache, moving credentials between modes (Migrate), and re-sealing
// them under a new key (RotateKey). Importing the Python server's files lives in the
// subpackage pyimport.
//
// # Files
//
// Each account has one file named after the Python server's convention, so people can
// move over: the address is lower-cased and trimmed, "@" becomes "_at_" and "." becomes
// "_" (alice.b@example.com -> alice_b_at_example_com), then
//
//	FILE_ENCRYPTED      {safe}_credentials.enc   a seal envelope
//	FILE_PLAINTEXT      {safe}_credentials.json  JSON, mode 0600 (the app warns at start)
//	MEMORY_WITH_BACKUP  {safe}_backup.enc        a seal envelope, loaded at Open
//	MEMORY_ONLY         nothing on disk
//
// Sealed files are bound (AAD) to "credential:{safe}", the record's name: a file renamed
// onto another account's name fails to open. The name is used rather than the address
// because the name is all List knows before opening a file (the mapping drops the
// difference between "." and "_"). The sealed JSON also holds the address, which is
// checked on every read, so two addresses that share a name can never read or overwrite
// each other's credential: writes refuse with ErrNameCollision.
//
// Every write is atomic (seal.WriteFileAtomic). A write never replaces a file it cannot
// read: a damaged file, or one sealed with a key that is missing, is kept for the user
// to recover or move aside.
//
// Processes using a directory hold a shared lock on CREDENTIALS_DIR/.gwmcp.lock;
// Migrate and RotateKey need it exclusively, so they refuse to run beside a server.
package credentials

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/gwmcp/gwmcp/internal/secret"
)

// Credential is what gwmcp stores for one Google account. It never holds the OAuth
// client secret.
type Credential struct {
	Email        string // the account's address, lower-case
	Subject      string // Google's stable account id (the ID token's sub)
	RefreshToken secret.String
	AccessToken  secret.String
	TokenType    string // usually "Bearer"
	Expiry       time.Time
	Scopes       []string // granted scopes
	ClientID     string   // the OAuth client that issued the tokens
	UpdatedAt    time.Time
}

// Clone returns a copy that shares no memory with c.
func (c Credential) Clone() Credential {
	c.Scopes = slices.Clone(c.Scopes)
	return c
}

// Equal reports whether c and o hold the same values.
func (c Credential) Equal(o Credential) bool {
	return c.Email == o.Email && c.Subject == o.Subject &&
		c.RefreshToken.Reveal() == o.RefreshToken.Reveal() &&
		c.AccessToken.Reveal() == o.AccessToken.Reveal() &&
		c.TokenType == o.TokenType && c.Expiry.Equal(o.Expiry) &&
		slices.Equal(c.Scopes, o.Scopes) && c.ClientID == o.ClientID &&
		c.UpdatedAt.Equal(o.UpdatedAt)
}

// NormalizeEmail returns the form addresses are compared and stored in: trimmed and
// lower-case, as the Python server does.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// SafeName returns the file-name stem of an address, matching the Python server:
// alice.b@example.com -> alice_b_at_example_com.
func SafeName(email string) string {
	n := NormalizeEmail(email)
	n = strings.ReplaceAll(n, "@", "_at_")
	return strings.ReplaceAll(n, ".", "_")
}

// ValidateEmail checks that an address can name a credential file.
func ValidateEmail(email string) error {
	n := NormalizeEmail(email)
	switch {
	case n == "":
		return fmt.Errorf("%w: the address is empty", ErrInvalidEmail)
	case len(n) > 320:
		return fmt.Errorf("%w: the address is longer than 320 characters", ErrInvalidEmail)
	case !strings.Contains(n, "@") || strings.HasPrefix(n, "@") || strings.HasSuffix(n, "@"):
		return fmt.Errorf("%w: %q is not an email address", ErrInvalidEmail, n)
	case strings.ContainsAny(n, `/\`):
		return fmt.Errorf("%w: %q contains a path separator", ErrInvalidEmail, n)
	case strings.ContainsFunc(n, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return fmt.Errorf("%w: %q contains spaces or control characters", ErrInvalidEmail, n)
	}
	return nil
}

// normalized checks c before it is stored and returns it normalized.
func (c Credential) normalized() (Credential, error) {
	if err := ValidateEmail(c.Email); err != nil {
		return Credential{}, err
	}
	if c.RefreshToken.IsZero() && c.AccessToken.IsZero() {
		return Credential{}, fmt.Errorf("%w: %s has neither a refresh token nor an access token", ErrInvalidCredential, NormalizeEmail(c.Email))
	}
	c = c.Clone()
	c.Email = NormalizeEmail(c.Email)
	c.Expiry = utc(c.Expiry)
	c.UpdatedAt = utc(c.UpdatedAt)
	return c, nil
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}
