package authserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/auth"
)

type principalKey struct{}

// tokenInfoPrincipal is the key of the Principal in auth.TokenInfo.Extra.
const tokenInfoPrincipal = "gwmcp.principal"

// PrincipalFrom returns the verified caller that RequireBearer put into ctx.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// PrincipalFromTokenInfo returns the caller from the SDK's token info, which is what an
// MCP tool handler sees of the HTTP request (req.Extra.TokenInfo): the SDK runs tool
// handlers in the session's context, not the request's.
func PrincipalFromTokenInfo(ti *auth.TokenInfo) (Principal, bool) {
	if ti == nil {
		return Principal{}, false
	}
	p, ok := ti.Extra[tokenInfoPrincipal].(Principal)
	return p, ok
}

// bearerOutcome classifies an Authorization header.
type bearerOutcome int

const (
	bearerNone      bearerOutcome = iota // no header, or another scheme
	bearerOK                             // a syntactically valid bearer token
	bearerMalformed                      // Bearer scheme with a malformed token
	bearerRepeated                       // several Authorization headers
)

// parseBearer reads the Authorization header values (RFC 6750 section 2.1): the scheme
// is case-insensitive, one or more spaces follow, and the token is a b64token.
func parseBearer(values []string) (string, bearerOutcome) {
	switch len(values) {
	case 0:
		return "", bearerNone
	case 1:
	default:
		return "", bearerRepeated
	}
	v := values[0]
	if len(v) < 7 || !strings.EqualFold(v[:6], "bearer") || v[6] != ' ' {
		if strings.EqualFold(strings.TrimSpace(v), "bearer") {
			return "", bearerMalformed
		}
		return "", bearerNone
	}
	tok := strings.TrimLeft(v[7:], " ")
	if tok == "" || len(tok) > maxTokenLen || !isB64Token(tok) {
		return "", bearerMalformed
	}
	return tok, bearerOK
}

// isB64Token checks RFC 6750's b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" /
// "+" / "/" ) *"=".
func isB64Token(t string) bool {
	i := 0
	for ; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/') {
			break
		}
	}
	if i == 0 {
		return false
	}
	for ; i < len(t); i++ {
		if t[i] != '=' {
			return false
		}
	}
	return true
}

// bearerFromHeader returns a well-formed bearer token, if there is one.
func bearerFromHeader(values []string) (string, bool) {
	tok, out := parseBearer(values)
	return tok, out == bearerOK
}

// challenge writes a 401/400/403 with the RFC 6750 WWW-Authenticate header that points
// at the protected resource metadata (RFC 9728).
func (s *Server) challenge(w http.ResponseWriter, status int, code, desc, scope string) {
	var b strings.Builder
	b.WriteString(`Bearer resource_metadata="`)
	b.WriteString(s.resourceMetaURL)
	b.WriteByte('"')
	if code != "" {
		b.WriteString(`, error="` + code + `"`)
		if desc != "" {
			b.WriteString(`, error_description="` + safeDescription(desc) + `"`)
		}
	}
	if scope != "" {
		b.WriteString(`, scope="` + scope + `"`)
	}
	h := w.Header()
	h.Set("WWW-Authenticate", b.String())
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if code == "" {
		code, desc = "unauthorized", "A bearer token is required."
	}
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": safeDescription(desc)})
}

// RequireBearer guards the MCP endpoint. It accepts only an access token of this server
// in the Authorization header, verified by VerifyAccessToken; it refuses a token in the
// query string (400 invalid_request, RFC 6750 section 2.3 is not supported). With
// Config.RequiredScopes it answers 403 insufficient_scope, naming the missing scopes,
// to a tools/call of a tool the token does not cover. The Principal goes into the
// request context (PrincipalFrom) and into the SDK's auth.TokenInfo
// (PrincipalFromTokenInfo), whose UserID binds MCP sessions to the subject.
func (s *Server) RequireBearer(next http.Handler) http.Handler {
	sdk := auth.RequireBearerToken(func(_ context.Context, _ string, r *http.Request) (*auth.TokenInfo, error) {
		p, ok := PrincipalFrom(r.Context())
		if !ok {
			return nil, auth.ErrInvalidToken
		}
		return &auth.TokenInfo{
			Scopes: p.Scopes, Expiration: p.Expiry, UserID: p.Subject,
			Extra: map[string]any{tokenInfoPrincipal: p},
		}, nil
	}, &auth.RequireBearerTokenOptions{ResourceMetadataURL: s.resourceMetaURL, ClockSkew: clockSkew})(next)

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("access_token") {
			s.challenge(w, http.StatusBadRequest, "invalid_request", "Send the access token in the Authorization header, not in the URL.", "")
			return
		}
		tok, outcome := parseBearer(r.Header.Values("Authorization"))
		switch outcome {
		case bearerNone:
			s.challenge(w, http.StatusUnauthorized, "", "", "")
			return
		case bearerRepeated:
			s.challenge(w, http.StatusBadRequest, "invalid_request", "Send one Authorization header.", "")
			return
		case bearerMalformed:
			s.challenge(w, http.StatusUnauthorized, "invalid_token", "The bearer token is malformed.", "")
			return
		}
		p, err := s.VerifyAccessToken(r.Context(), tok)
		if err != nil {
			if errors.Is(err, errTokenStore) {
				w.Header().Set("Retry-After", "5")
				s.challenge(w, http.StatusServiceUnavailable, "temporarily_unavailable", err.Error(), "")
				return
			}
			s.challenge(w, http.StatusUnauthorized, "invalid_token", err.Error(), "")
			return
		}
		if s.cfg.RequiredScopes != nil && r.Method == http.MethodPost {
			missing, tooLarge := s.missingScopes(r, p)
			if tooLarge {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusRequestEntityTooLarge)
				_, _ = io.WriteString(w, `{"error":"request_too_large","error_description":"The request body is too large."}`+"\n")
				return
			}
			if len(missing) > 0 {
				s.challenge(w, http.StatusForbidden, "insufficient_scope",
					"The access token does not grant the scopes this tool needs.", strings.Join(missing, " "))
				return
			}
		}
		sdk.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

// rpcPeek is the part of a JSON-RPC message the scope check needs.
type rpcPeek struct {
	Method string `json:"method"`
	Params struct {
		Name string `json:"name"`
	} `json:"params"`
}

// missingScopes reads the body (bounded by MaxMCPBody, then restored for the next
// handler) and returns the scopes the tools/call requests in it need but p lacks.
func (s *Server) missingScopes(r *http.Request, p Principal) (missing []string, tooLarge bool) {
	if r.Body == nil {
		return nil, false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, s.cfg.MaxMCPBody+1))
	_ = r.Body.Close()
	if int64(len(body)) > s.cfg.MaxMCPBody {
		return nil, true
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return nil, false // the transport will fail on its own
	}
	if !bytes.Contains(body, []byte("tools/call")) {
		return nil, false // only tool calls need scopes; skip parsing everything else
	}
	var msgs []rpcPeek
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if json.Unmarshal(trimmed, &msgs) != nil {
			return nil, false
		}
	} else {
		var m rpcPeek
		if json.Unmarshal(trimmed, &m) != nil {
			return nil, false
		}
		msgs = []rpcPeek{m}
	}
	for _, m := range msgs {
		if m.Method != "tools/call" || m.Params.Name == "" {
			continue
		}
		for _, sc := range s.scopes.Missing(p.Scopes, s.cfg.RequiredScopes(m.Method, m.Params.Name)) {
			if !contains(missing, sc) {
				missing = append(missing, sc)
			}
		}
	}
	return missing, false
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
