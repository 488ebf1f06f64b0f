package authserver

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"slices"
	"strings"
)

// noStore marks a response uncacheable (every token and registration response).
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

// writeJSON writes v with status, uncacheable.
func writeJSON(w http.ResponseWriter, status int, v any) {
	noStore(w)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// oauthError is an RFC 6749 error answer.
type oauthError struct {
	status     int
	code, desc string
	retryAfter string
	basic      bool // add WWW-Authenticate: Basic (invalid_client after Basic auth)
}

func (e *oauthError) Error() string { return e.code + ": " + e.desc }

func errInvalidRequest(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_request", desc: desc}
}

func errInvalidGrant(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_grant", desc: desc}
}

func errServer() *oauthError {
	return &oauthError{status: http.StatusInternalServerError, code: "server_error", desc: "The server could not complete the request."}
}

func errUnavailable() *oauthError {
	return &oauthError{status: http.StatusServiceUnavailable, code: "temporarily_unavailable",
		desc: "The identity provider is temporarily unavailable; retry later.", retryAfter: retryAfterUp}
}

func (e *oauthError) write(w http.ResponseWriter) {
	if e.retryAfter != "" {
		w.Header().Set("Retry-After", e.retryAfter)
	}
	if e.basic {
		w.Header().Set("WWW-Authenticate", `Basic realm="gwmcp", charset="UTF-8"`)
	}
	writeJSON(w, e.status, map[string]string{"error": e.code, "error_description": safeDescription(e.desc)})
}

// safeDescription keeps error_description within RFC 6749's character set
// (%x20-21 / %x23-5B / %x5D-7E) and short.
func safeDescription(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			b[i] = '?'
		}
	}
	if len(b) > 300 {
		b = append(b[:297], "..."...)
	}
	return string(b)
}

// hasContentType reports whether the request's media type is want.
func hasContentType(r *http.Request, want string) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && strings.EqualFold(mt, want)
}

// parseForm reads an application/x-www-form-urlencoded body of at most maxFormBody
// bytes. Repeated parameters are refused (RFC 6749 section 3.2).
// Parameters in repeatable may occur several times (the consent form's service
// checkboxes); any other repeated parameter is refused, as OAuth requires.
func parseForm(w http.ResponseWriter, r *http.Request, repeatable ...string) *oauthError {
	if !hasContentType(r, "application/x-www-form-urlencoded") {
		return errInvalidRequest("The request body must be application/x-www-form-urlencoded.")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		if tooLarge(err) {
			return &oauthError{status: http.StatusRequestEntityTooLarge, code: "invalid_request", desc: "The request body is too large."}
		}
		return errInvalidRequest("The request body is not a valid form.")
	}
	for k, v := range r.PostForm {
		if len(v) > 1 && !slices.Contains(repeatable, k) {
			return errInvalidRequest("The parameter " + truncate(k, 40) + " is repeated.")
		}
	}
	return nil
}

// tooLarge reports a body that exceeded its http.MaxBytesReader limit.
func tooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
