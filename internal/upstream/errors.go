package upstream

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinels every error of this package matches one (or, for discovery, two) of.
var (
	// ErrInvalidGrant: the provider rejected the authorization code or the
	// refresh token (invalid_grant). The grant is gone; the person has to
	// authorize again.
	ErrInvalidGrant = errors.New("upstream: invalid grant")
	// ErrUnavailable: the provider could not be reached or answered 429 or
	// 5xx. Temporary; callers map it to temporarily_unavailable.
	ErrUnavailable = errors.New("upstream: provider temporarily unavailable")
	// ErrInvalidIDToken: an ID token failed verification (signature, issuer,
	// audience, expiry, nonce) or was missing where one is required.
	ErrInvalidIDToken = errors.New("upstream: invalid ID token")
	// ErrDiscovery: the discovery document or the JWKS could not be fetched or
	// is unusable. A transient cause also matches ErrUnavailable.
	ErrDiscovery = errors.New("upstream: discovery failed")
	// ErrInvalidClient: the provider rejected gwmcp's client credentials or
	// configuration (invalid_client, unauthorized_client,
	// redirect_uri_mismatch). A configuration problem, not the person's.
	ErrInvalidClient = errors.New("upstream: client rejected")
	// ErrRejected: the provider refused the request for another reason
	// (invalid_request, invalid_scope, ...) or answered something this package
	// cannot use.
	ErrRejected = errors.New("upstream: request rejected")
)

// Error is the error every operation of a Provider returns. Its text names the
// operation, the kind, the provider's status and OAuth error code when there
// are some, and a fixed description; it never holds a response body, a token,
// a code or a secret.
type Error struct {
	// Op is the operation: "discover", "authorize", "exchange", "refresh",
	// "revoke" or "verify ID token".
	Op string
	// Kind is one of the package's sentinels, or nil when the caller's own
	// context ended the request.
	Kind error
	// Temporary marks a transient cause: the error also matches ErrUnavailable.
	Temporary bool
	// Status is the provider's HTTP status, 0 when there was no answer.
	Status int
	// Code is the provider's OAuth error code ("invalid_grant"), sanitized;
	// "" when there was none.
	Code string
	// Detail is a fixed description written by this package.
	Detail string
	// Err is the underlying cause when it is safe to show (a network error,
	// a context error, a verification failure); it may be nil.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("upstream ")
	b.WriteString(e.Op)
	if e.Kind != nil {
		b.WriteString(": ")
		b.WriteString(strings.TrimPrefix(e.Kind.Error(), "upstream: "))
	}
	if e.Status != 0 || e.Code != "" {
		b.WriteString(": provider answered")
		if e.Status != 0 {
			b.WriteString(" " + strconv.Itoa(e.Status))
		}
		if e.Code != "" {
			b.WriteString(" " + e.Code)
		}
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap exposes the kind, ErrUnavailable for a temporary error, and the cause.
func (e *Error) Unwrap() []error {
	out := make([]error, 0, 3)
	if e.Kind != nil {
		out = append(out, e.Kind)
	}
	if e.Temporary && e.Kind != ErrUnavailable {
		out = append(out, ErrUnavailable)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// sanitizeCode keeps a provider's OAuth error code only when it looks like
// one (RFC 6749 allows printable ASCII; real codes are snake_case words), so
// that a hostile or broken provider cannot smuggle text into our messages.
func sanitizeCode(code string) string {
	if code == "" {
		return ""
	}
	if len(code) > 64 {
		return "unrecognized_error"
	}
	for _, c := range code {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
		if !ok {
			return "unrecognized_error"
		}
	}
	return code
}

// kindForAnswer classifies a provider's error answer by HTTP status and OAuth
// error code.
func kindForAnswer(status int, code string) error {
	switch {
	case status == 429 || status >= 500:
		return ErrUnavailable
	case code == "temporarily_unavailable" || code == "server_error" || code == "internal_failure" ||
		code == "rate_limit_exceeded":
		return ErrUnavailable
	case code == "invalid_grant":
		return ErrInvalidGrant
	case code == "invalid_client" || code == "unauthorized_client" || code == "redirect_uri_mismatch":
		return ErrInvalidClient
	case code == "" && status == 401:
		return ErrInvalidClient
	default:
		return ErrRejected
	}
}
