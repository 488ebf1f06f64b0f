package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/gwmcp/gwmcp/internal/authserver"
	"github.com/gwmcp/gwmcp/internal/devtoken"
	"github.com/gwmcp/gwmcp/internal/httpguard"
	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/tools"
)

// authenticate guards /mcp. Without an authorization server (no Google client: loopback
// only) every request is the local principal's. Otherwise gwmcp's own access tokens go to the
// authorization server's RequireBearer; a development token (flow 5, when enabled) or a
// Google-signed ID token for this server (flow 4, when callers are configured) is verified
// here. A token's own claims only route it: the verifier it is routed to decides.
func (a *App) authenticate(next http.Handler) http.Handler {
	if a.auth == nil {
		if a.devKey == nil {
			return next
		}
		// Dev tokens without an authorization server: accept them, else the local principal.
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tok, ok := bearer(r); ok {
				a.altToken(w, r, tok, next)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	oauth := a.auth.RequireBearer(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok, ok := bearer(r); ok && (a.devKey != nil && devtoken.LooksLike(tok) || a.idTokenCandidate(tok)) {
			a.altToken(w, r, tok, next)
			return
		}
		oauth.ServeHTTP(w, r)
	})
}

func bearer(r *http.Request) (string, bool) {
	v := r.Header.Get("Authorization")
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:]), true
	}
	return "", false
}

// idTokenCandidate reports whether tok claims to be an ID token of the upstream (flow 4 on).
func (a *App) idTokenCandidate(tok string) bool {
	if len(a.cfg.IDTokenAccounts) == 0 || a.provider == nil {
		return false
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return false
	}
	var c struct {
		Iss string `json:"iss"`
	}
	if json.Unmarshal(b, &c) != nil {
		return false
	}
	iss := strings.TrimPrefix(c.Iss, "https://")
	return iss == strings.TrimPrefix(a.provider.Issuer(), "https://")
}

// altToken verifies a development or ID token and passes the principal to the SDK.
func (a *App) altToken(w http.ResponseWriter, r *http.Request, tok string, next http.Handler) {
	p, ti, err := a.verifyAlt(r.Context(), tok)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="`+a.cfg.BaseURL+`/.well-known/oauth-protected-resource/mcp", error="invalid_token"`)
		httpguard.WriteJSONError(w, http.StatusUnauthorized, "invalid_token", "The bearer token is not valid here.")
		return
	}
	h := auth.RequireBearerToken(func(context.Context, string, *http.Request) (*auth.TokenInfo, error) { return ti, nil }, nil)(next)
	h.ServeHTTP(w, r.WithContext(identity.WithPrincipal(r.Context(), p)))
}

func (a *App) verifyAlt(ctx context.Context, tok string) (identity.Principal, *auth.TokenInfo, error) {
	now := a.opts.Now()
	if a.devKey != nil && devtoken.LooksLike(tok) {
		v, err := a.devKey.Verify(tok, a.cfg.BaseURL, a.cfg.MCPResource(), now)
		if err != nil {
			return identity.Principal{}, nil, err
		}
		p := identity.Principal{Subject: v.Subject, Email: v.Email, Kind: identity.KindDev, Scopes: v.Scopes}
		return p, tools.TokenInfoFor(p, v.Expiry), nil
	}
	if a.idTokenCandidate(tok) {
		id, err := a.provider.VerifyIDToken(ctx, tok, a.googleClientID, a.cfg.BaseURL, a.cfg.MCPResource())
		if err != nil {
			return identity.Principal{}, nil, err
		}
		// Any Google service account can mint an ID token for any audience: only callers on
		// the allow-list become principals at all.
		if _, ok := a.cfg.IDTokenAccounts[strings.ToLower(id.Email)]; !ok || !id.EmailVerified {
			return identity.Principal{}, nil, errors.New("the ID token's caller is not in ID_TOKEN_ACCOUNTS")
		}
		p := identity.Principal{Subject: id.Subject, Email: strings.ToLower(id.Email), Kind: identity.KindIDToken}
		return p, tools.TokenInfoFor(p, now.Add(5*time.Minute)), nil
	}
	return identity.Principal{}, nil, errors.New("not a token gwmcp can verify here")
}

// requestPrincipal is the principal of an /mcp request after authenticate.
func (a *App) requestPrincipal(r *http.Request) identity.Principal {
	if p, ok := identity.PrincipalFrom(r.Context()); ok {
		return p
	}
	if p, ok := authserver.PrincipalFrom(r.Context()); ok {
		return identity.Principal{Subject: p.Subject, Email: p.Email, Kind: identity.KindOAuth, ClientID: p.ClientID, Scopes: p.Scopes}
	}
	return a.local
}

// sessionGuard binds each MCP session to the principal that opened it, enforces the idle
// and absolute lifetimes, and answers 404 (as for an unknown session) to a request naming a
// session that is expired or another principal's.
func (a *App) sessionGuard(next http.Handler) http.Handler {
	if a.sessions == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := a.requestPrincipal(r)
		sid := r.Header.Get("Mcp-Session-Id")
		if sid != "" {
			if _, err := a.sessions.Check(r.Context(), sid, p.Subject); err != nil {
				if !errors.Is(err, identity.ErrSessionNotFound) && !errors.Is(err, identity.ErrSessionForeign) && !errors.Is(err, identity.ErrSessionExpired) {
					a.log.ErrorContext(r.Context(), "session check failed", "error", err.Error())
				}
				httpguard.WriteJSONError(w, http.StatusNotFound, "session_not_found", "Session not found: start a new one with initialize.")
				return
			}
			next.ServeHTTP(w, r)
			if r.Method == http.MethodDelete {
				_ = a.sessions.End(context.WithoutCancel(r.Context()), identity.SessionHandle(sid))
			}
			return
		}
		next.ServeHTTP(&bindingWriter{ResponseWriter: w, bind: func(newID string) {
			if err := a.sessions.Bind(r.Context(), newID, p); err != nil {
				a.log.ErrorContext(r.Context(), "binding a session failed", "error", err.Error())
			}
		}}, r)
	})
}

// bindingWriter binds the session id the SDK assigns before its answer leaves, so the
// client's next request always finds the binding.
type bindingWriter struct {
	http.ResponseWriter
	bind  func(string)
	wrote bool
}

func (b *bindingWriter) WriteHeader(code int) {
	if !b.wrote {
		b.wrote = true
		if id := b.Header().Get("Mcp-Session-Id"); id != "" && code < 300 {
			b.bind(id)
		}
	}
	b.ResponseWriter.WriteHeader(code)
}

func (b *bindingWriter) Write(p []byte) (int, error) {
	if !b.wrote {
		b.WriteHeader(http.StatusOK)
	}
	return b.ResponseWriter.Write(p)
}

func (b *bindingWriter) Unwrap() http.ResponseWriter { return b.ResponseWriter }

// optionalPrincipal verifies a bearer token when one is sent and puts its principal in the
// request context; without one the request goes on anonymous (a signed URL is its own
// capability). An invalid token is refused rather than ignored.
func (a *App) optionalPrincipal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := bearer(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		var p identity.Principal
		var err error
		switch {
		case a.devKey != nil && devtoken.LooksLike(tok), a.idTokenCandidate(tok):
			p, _, err = a.verifyAlt(r.Context(), tok)
		case a.auth != nil:
			var ap authserver.Principal
			ap, err = a.auth.VerifyAccessToken(r.Context(), tok)
			p = identity.Principal{Subject: ap.Subject, Email: ap.Email, Kind: identity.KindOAuth, ClientID: ap.ClientID, Scopes: ap.Scopes}
		default:
			err = errors.New("no verifier")
		}
		if err != nil {
			httpguard.WriteJSONError(w, http.StatusUnauthorized, "invalid_token", "The bearer token is not valid; the signed URL alone is enough.")
			return
		}
		next.ServeHTTP(w, r.WithContext(identity.WithPrincipal(r.Context(), p)))
	})
}
