package sandbox

import (
	"slices"
	"strings"
)

// The OpenID scopes as Google reports them once granted: the short names
// "email" and "profile" come back as these URLs.
const (
	scopeOpenID  = "openid"
	scopeEmail   = "https://www.googleapis.com/auth/userinfo.email"
	scopeProfile = "https://www.googleapis.com/auth/userinfo.profile"
)

// normalizeScopes parses a space-separated scope list the way Google does:
// "email" and "profile" become their URLs, duplicates fold, and anything that
// is not openid, a https://www.googleapis.com/auth/ URL or Gmail's
// https://mail.google.com/ is returned as invalid. The result is sorted.
func normalizeScopes(fields []string) (scopes, invalid []string) {
	for _, f := range fields {
		switch {
		case f == "email":
			f = scopeEmail
		case f == "profile":
			f = scopeProfile
		case f == scopeOpenID, f == "https://mail.google.com/":
		case strings.HasPrefix(f, "https://www.googleapis.com/auth/") && len(f) > len("https://www.googleapis.com/auth/"):
		default:
			invalid = append(invalid, f)
			continue
		}
		if !slices.Contains(scopes, f) {
			scopes = append(scopes, f)
		}
	}
	slices.Sort(scopes)
	return scopes, invalid
}

// hasScope reports whether want is among scopes.
func hasScope(scopes []string, want string) bool { return slices.Contains(scopes, want) }

// unionScopes returns the sorted union of a and b.
func unionScopes(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// coversScopes reports whether every scope of want is in have.
func coversScopes(have, want []string) bool {
	for _, s := range want {
		if !slices.Contains(have, s) {
			return false
		}
	}
	return true
}
