package upstream

import (
	"context"
	"crypto/subtle"
	"errors"
	"slices"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
)

// clockSkew is how far past its expiry an ID token is still accepted.
const clockSkew = time.Minute

// maxIDTokenSize bounds the ID tokens we parse (Google's are about 1 KiB).
const maxIDTokenSize = 16 << 10

// Identity is who an ID token names.
type Identity struct {
	// Subject is the provider's stable id of the person (Google's `sub`).
	Subject string
	// Email and EmailVerified come from the email scope.
	Email         string
	EmailVerified bool
	// HostedDomain is Google's `hd`: the Workspace domain, "" for consumer accounts.
	HostedDomain string
	// Name comes from the profile scope.
	Name string
}

// Google's issuer is also written without the scheme in some of its ID tokens.
const googleIssuerNoScheme = "accounts.google.com"

// issuerMatches reports whether an ID token's iss is the provider's issuer.
// Only for Google's issuer is the scheme-less form accepted too; every other
// provider must match exactly.
func issuerMatches(want, got string) bool {
	if got == want {
		return true
	}
	return want == GoogleIssuer && got == googleIssuerNoScheme
}

// idClaims are the claims we read besides those go-oidc parses.
type idClaims struct {
	Email         string   `json:"email"`
	EmailVerified flexBool `json:"email_verified"`
	HostedDomain  string   `json:"hd"`
	Name          string   `json:"name"`
	AuthorizedFor string   `json:"azp"`
}

// flexBool reads true, false, "true" and "false" (Google has sent both).
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch string(data) {
	case "true", `"true"`:
		*b = true
	case "false", `"false"`, "null":
		*b = false
	default:
		return errors.New("email_verified is not a boolean")
	}
	return nil
}

// idCheck says what a verification must check besides signature and expiry.
type idCheck struct {
	op        string
	audiences []string // aud must contain one of them
	clientID  string   // when set, a multi-audience token's azp must be it
	nonce     string   // when set, must equal the nonce claim
}

// verifyIDToken verifies raw and returns its identity and its go-oidc form.
func (p *Provider) verifyIDToken(ctx context.Context, m *metadata, raw string, c idCheck) (Identity, *oidc.IDToken, error) {
	bad := func(detail string, err error) error {
		return &Error{Op: c.op, Kind: ErrInvalidIDToken, Detail: detail, Err: err}
	}
	if raw == "" {
		return Identity{}, nil, bad("no ID token", nil)
	}
	if len(raw) > maxIDTokenSize {
		return Identity{}, nil, bad("ID token too large", nil)
	}
	jws, err := jose.ParseSigned(raw, joseAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return Identity{}, nil, bad("malformed ID token", nil)
	}
	if err := m.keys.ensure(ctx, jws.Signatures[0].Header.KeyID); err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Op = c.op
		}
		return Identity{}, nil, err
	}
	tok, err := m.verifier.Verify(ctx, raw)
	if err != nil {
		var expired *oidc.TokenExpiredError
		if errors.As(err, &expired) {
			return Identity{}, nil, bad("ID token expired", nil)
		}
		return Identity{}, nil, bad("signature or format", err)
	}
	if !issuerMatches(m.issuer, tok.Issuer) {
		return Identity{}, nil, bad("ID token from another issuer", nil)
	}
	if !slices.ContainsFunc(tok.Audience, func(a string) bool { return slices.Contains(c.audiences, a) }) {
		return Identity{}, nil, bad("ID token for another audience", nil)
	}
	var claims idClaims
	if err := tok.Claims(&claims); err != nil {
		return Identity{}, nil, bad("unreadable claims", nil)
	}
	if c.clientID != "" && len(tok.Audience) > 1 && claims.AuthorizedFor != c.clientID {
		return Identity{}, nil, bad("ID token authorized for another party", nil)
	}
	if c.nonce != "" && subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(c.nonce)) != 1 {
		return Identity{}, nil, bad("nonce mismatch", nil)
	}
	if tok.Subject == "" {
		return Identity{}, nil, bad("ID token has no subject", nil)
	}
	if !tok.IssuedAt.IsZero() && tok.IssuedAt.After(p.now().Add(clockSkew)) {
		return Identity{}, nil, bad("ID token issued in the future", nil)
	}
	return Identity{
		Subject:       tok.Subject,
		Email:         claims.Email,
		EmailVerified: bool(claims.EmailVerified),
		HostedDomain:  claims.HostedDomain,
		Name:          claims.Name,
	}, tok, nil
}

// VerifyIDToken verifies an ID token that a server-to-server caller presents
// (flow 4): signed by the provider, issued by it, unexpired, and addressed to
// one of audiences (at least one is required).
func (p *Provider) VerifyIDToken(ctx context.Context, raw string, audiences ...string) (Identity, error) {
	if len(audiences) == 0 || slices.Contains(audiences, "") {
		return Identity{}, &Error{Op: "verify ID token", Kind: ErrInvalidIDToken, Detail: "no accepted audience configured"}
	}
	m, err := p.metadata(ctx)
	if err != nil {
		return Identity{}, err
	}
	id, _, err := p.verifyIDToken(ctx, m, raw, idCheck{op: "verify ID token", audiences: audiences})
	return id, err
}
