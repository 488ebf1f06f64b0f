// Package identity owns who is calling and which Google account acts for them: principals, the
// Google accounts each principal has linked, MCP sessions bound to the principal that opened
// them, and the resolver that every tool call goes through (DESIGN.md section 2). It makes
// acting as an account one did not authorize impossible: every account a principal may use is
// one it linked through Google's consent (or, on stdio, one the local user stored on disk).
package identity

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Kind says how a principal authenticated.
type Kind string

// The five flows of DESIGN.md section 2 produce these kinds.
const (
	KindOAuth   Kind = "oauth"    // flow 1/3: gwmcp's own access token
	KindLocal   Kind = "local"    // stdio: the local operating-system user
	KindIDToken Kind = "id_token" // flow 4: a Google-signed ID token for this server
	KindDev     Kind = "dev"      // flow 5: a development token
)

// Principal is the person (or server) behind a request.
type Principal struct {
	// Subject is stable: the Google sub of the login for oauth, id_token and dev
	// principals, "local:<user>" on stdio.
	Subject string
	// Email is the login account's address (the primary account), if any.
	Email    string
	Kind     Kind
	ClientID string
	// Scopes are the Google scopes the caller's token grants; nil means the caller is not
	// limited by a token (stdio).
	Scopes []string
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal in ctx.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok && p.Subject != ""
}

// CanonicalEmail is the form used to compare addresses: lower case, and for consumer Gmail
// addresses without dots and without a +suffix in the local part (Gmail ignores both, so
// "B.ob+x@GMail.com" and "bob@gmail.com" are one account).
func CanonicalEmail(email string) string {
	e := strings.ToLower(strings.TrimSpace(email))
	local, domain, ok := strings.Cut(e, "@")
	if !ok {
		return e
	}
	if domain == "gmail.com" || domain == "googlemail.com" {
		if i := strings.IndexByte(local, '+'); i >= 0 {
			local = local[:i]
		}
		local = strings.ReplaceAll(local, ".", "")
		domain = "gmail.com"
	}
	return local + "@" + domain
}

// hashKey turns an identifier that may be secret or contain any character into a store key
// component.
func hashKey(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:18])
}
