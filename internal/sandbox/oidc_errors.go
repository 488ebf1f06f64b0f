package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Endpoint names one of the OpenID provider's endpoints, by its path.
type Endpoint string

// The OpenID provider's endpoints.
const (
	EndpointDiscovery Endpoint = "/.well-known/openid-configuration"
	EndpointAuthorize Endpoint = "/o/oauth2/v2/auth"
	EndpointToken     Endpoint = "/token"
	EndpointUserinfo  Endpoint = "/v1/userinfo"
	EndpointRevoke    Endpoint = "/revoke"
	EndpointJWKS      Endpoint = "/oauth2/v3/certs"
	EndpointTokeninfo Endpoint = "/tokeninfo"
)

// consentPath receives the account chooser's form; it is not advertised.
const consentPath = "/signin/oauth/consent"

// Failure is a scripted error answer. Zero fields take defaults from Status.
type Failure struct {
	// Status is the HTTP status, for example 429 or 503.
	Status int
	// Error and Description fill Google's {"error","error_description"} body.
	Error       string
	Description string
	// RetryAfter, when positive, is sent as a Retry-After header in seconds.
	RetryAfter time.Duration
}

// FailNext makes the next n requests to ep fail with status and Google's
// error body for that status. Scripts queue up behind earlier ones.
func (s *Sandbox) FailNext(ep Endpoint, status, n int) {
	s.ScriptFailures(ep, n, Failure{Status: status})
}

// ScriptFailures makes the next n requests to ep answer with f.
func (s *Sandbox) ScriptFailures(ep Endpoint, n int, f Failure) {
	if f.Status == 0 {
		f.Status = http.StatusServiceUnavailable
	}
	if f.Error == "" {
		f.Error, f.Description = defaultFailure(f.Status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures[ep] = append(s.failures[ep], f)
	}
}

// defaultFailure is the error body Google's OAuth endpoints give for status.
func defaultFailure(status int) (code, description string) {
	switch {
	case status == http.StatusTooManyRequests:
		return "rate_limit_exceeded", "Rate Limit Exceeded"
	case status == http.StatusServiceUnavailable:
		return "temporarily_unavailable", "The service is currently unavailable."
	case status >= 500:
		return "internal_failure", "Backend Error"
	case status == http.StatusUnauthorized:
		return "invalid_client", "Unauthorized"
	default:
		return "invalid_request", "Bad Request"
	}
}

// scripted answers r with the next scripted failure of ep, if any.
func (s *Sandbox) scripted(w http.ResponseWriter, ep Endpoint) bool {
	s.mu.Lock()
	queue := s.failures[ep]
	if len(queue) == 0 {
		s.mu.Unlock()
		return false
	}
	f := queue[0]
	s.failures[ep] = queue[1:]
	s.stats.ScriptedFailures++
	if ep == EndpointToken {
		s.stats.TokenErrors++
	}
	s.mu.Unlock()
	s.log.Info("sandbox: scripted failure", "endpoint", string(ep), "status", f.Status)
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(f.RetryAfter.Round(time.Second)/time.Second)))
	}
	if ep == EndpointAuthorize {
		s.errorPage(w, f.Status, f.Error, f.Description)
		return true
	}
	writeJSON(w, f.Status, map[string]string{"error": f.Error, "error_description": f.Description})
	return true
}

// oauthError is an error answer of the token, revocation, userinfo or
// tokeninfo endpoint: {"error": ..., "error_description": ...}.
type oauthError struct {
	status      int
	code        string
	description string
	basic       bool // the client authenticated with HTTP Basic
}

func (e *oauthError) write(w http.ResponseWriter) {
	if e.basic && e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="sandbox"`)
	}
	writeJSON(w, e.status, map[string]string{"error": e.code, "error_description": e.description})
}

// writeJSON writes v as JSON with Google's no-store headers.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
		h.Set("Pragma", "no-cache")
	}
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// AuthError is the answer a Google API gives to a request whose bearer token
// is missing, unknown, expired, revoked (401) or lacks the scope (403).
// Fake Workspace APIs get it from Authenticate and answer with Respond.
type AuthError struct {
	// Status is 401 or 403.
	Status int
	// Reason is Google's errors[].reason: "required", "authError" or
	// "insufficientPermissions".
	Reason string
	// Message is Google's error.message.
	Message string
	// Scopes are the scopes that would have been sufficient, for a 403.
	Scopes []string
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("sandbox: %d %s: %s", e.Status, e.Reason, e.Message)
}

// Respond writes Google's JSON error body and WWW-Authenticate header.
func (e *AuthError) Respond(w http.ResponseWriter) {
	type item struct {
		Message      string `json:"message"`
		Domain       string `json:"domain"`
		Reason       string `json:"reason"`
		Location     string `json:"location,omitempty"`
		LocationType string `json:"locationType,omitempty"`
	}
	type body struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Errors  []item `json:"errors"`
		Status  string `json:"status"`
	}
	b := body{Code: e.Status, Message: e.Message}
	challenge := `Bearer realm="https://accounts.google.com/"`
	switch e.Status {
	case http.StatusForbidden:
		b.Status = "PERMISSION_DENIED"
		b.Errors = []item{{Message: "Insufficient Permission", Domain: "global", Reason: e.Reason}}
		challenge += `, error="insufficient_scope", scope="` + strings.Join(e.Scopes, " ") + `"`
	default:
		b.Status = "UNAUTHENTICATED"
		msg := "Invalid Credentials"
		if e.Reason == "required" {
			msg = "Login Required."
		} else {
			challenge += `, error="invalid_token"`
		}
		b.Errors = []item{{Message: msg, Domain: "global", Reason: e.Reason,
			Location: "Authorization", LocationType: "header"}}
	}
	w.Header().Set("WWW-Authenticate", challenge)
	writeJSON(w, e.Status, map[string]any{"error": b})
}

const (
	msgInvalidCredentials = "Request had invalid authentication credentials. Expected OAuth 2 access token, " +
		"login cookie or other valid authentication credential. " +
		"See https://developers.google.com/identity/sign-in/web/devconsole-project."
	msgMissingCredentials = "Request is missing required authentication credential. Expected OAuth 2 access token, " +
		"login cookie or other valid authentication credential. " +
		"See https://developers.google.com/identity/sign-in/web/devconsole-project."
	msgInsufficientScopes = "Request had insufficient authentication scopes."
)
