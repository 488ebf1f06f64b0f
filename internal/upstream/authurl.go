package upstream

import (
	"context"
	"slices"
	"strings"

	"golang.org/x/oauth2"
)

// baseScopes are requested on every authorization: the identity comes from them.
var baseScopes = []string{"openid", "email", "profile"}

// AuthRequest describes one authorization request to the provider.
type AuthRequest struct {
	// State is the opaque value the provider sends back; required.
	State string
	// Nonce, when set, must come back in the ID token (Exchange checks it).
	Nonce string
	// CodeChallenge is the S256 challenge of a verifier the caller keeps
	// (oauth2.S256ChallengeFromVerifier); required, PKCE is never optional.
	CodeChallenge string
	// Scopes are full scope URLs; openid, email and profile are always added.
	Scopes []string
	// LoginHint pre-selects an account (an email or a subject).
	LoginHint string
	// Offline asks for a refresh token (access_type=offline).
	Offline bool
	// ForceConsent shows the consent screen again (prompt=consent); Google
	// issues a new refresh token only then once a grant exists.
	ForceConsent bool
	// SelectAccount shows the account chooser (prompt=select_account).
	SelectAccount bool
	// IncludeGrantedScopes asks for incremental authorization
	// (include_granted_scopes=true).
	IncludeGrantedScopes bool
	// RedirectURL overrides Config.RedirectURL (the stdio loopback listener
	// uses an ephemeral port); "" means Config.RedirectURL.
	RedirectURL string
}

// AuthCodeURL returns the provider's authorization URL for r. It discovers
// the provider first when needed.
func (p *Provider) AuthCodeURL(ctx context.Context, r AuthRequest) (string, error) {
	fail := func(detail string) error { return &Error{Op: "authorize", Kind: ErrRejected, Detail: detail} }
	if r.State == "" {
		return "", fail("state is required")
	}
	if !validChallenge(r.CodeChallenge) {
		return "", fail("code challenge must be the 43-character S256 challenge of a verifier")
	}
	redirect, err := p.redirectURL("authorize", r.RedirectURL)
	if err != nil {
		return "", err
	}
	scopes, err := mergeScopes(r.Scopes)
	if err != nil {
		return "", err
	}
	m, err := p.metadata(ctx)
	if err != nil {
		return "", err
	}
	conf := p.oauthConfig(m, redirect)
	conf.Scopes = scopes
	opts := []oauth2.AuthCodeOption{
		oauth2.SetAuthURLParam("code_challenge", r.CodeChallenge),
		oauth2.SetAuthURLParam("code_challenge_method", "S256"),
	}
	if r.Nonce != "" {
		opts = append(opts, oauth2.SetAuthURLParam("nonce", r.Nonce))
	}
	if r.LoginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", r.LoginHint))
	}
	if r.Offline {
		opts = append(opts, oauth2.AccessTypeOffline)
	}
	var prompt []string
	if r.ForceConsent {
		prompt = append(prompt, "consent")
	}
	if r.SelectAccount {
		prompt = append(prompt, "select_account")
	}
	if len(prompt) > 0 {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", strings.Join(prompt, " ")))
	}
	if r.IncludeGrantedScopes {
		opts = append(opts, oauth2.SetAuthURLParam("include_granted_scopes", "true"))
	}
	return conf.AuthCodeURL(r.State, opts...), nil
}

// redirectURL picks the override or the configured redirect URL.
func (p *Provider) redirectURL(op, override string) (string, error) {
	if override == "" {
		override = p.cfg.RedirectURL
		if override == "" {
			return "", &Error{Op: op, Kind: ErrRejected, Detail: "no redirect URL: set Config.RedirectURL or pass one"}
		}
		return override, nil
	}
	if err := checkRedirectURL(override); err != nil {
		return "", &Error{Op: op, Kind: ErrRejected, Detail: "redirect URL", Err: err}
	}
	return override, nil
}

// oauthConfig is the x/oauth2 view of the provider, with the pinned auth style.
func (p *Provider) oauthConfig(m *metadata, redirect string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     p.cfg.ClientID,
		ClientSecret: p.cfg.ClientSecret.Reveal(),
		RedirectURL:  redirect,
		Endpoint: oauth2.Endpoint{
			AuthURL:   m.authURL,
			TokenURL:  m.tokenURL,
			AuthStyle: m.authStyle,
		},
	}
}

// mergeScopes returns openid, email and profile followed by the requested
// scopes, without duplicates; a scope with whitespace inside is refused.
func mergeScopes(requested []string) ([]string, error) {
	out := make([]string, 0, len(baseScopes)+len(requested))
	out = append(out, baseScopes...)
	for _, s := range requested {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if strings.ContainsAny(s, " \t\r\n") {
			return nil, &Error{Op: "authorize", Kind: ErrRejected, Detail: "a scope contains whitespace"}
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// validChallenge reports whether c looks like an S256 challenge: the
// unpadded base64url form of a SHA-256 sum, 43 characters.
func validChallenge(c string) bool {
	return len(c) == 43 && isBase64URL(c)
}

// validVerifier reports whether v is a PKCE code verifier (RFC 7636 4.1).
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, c := range v {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~'
		if !ok {
			return false
		}
	}
	return true
}

func isBase64URL(s string) bool {
	for _, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}
