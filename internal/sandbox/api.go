package sandbox

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// This file holds what every fake Workspace API shares: Google's JSON error shape, bearer
// authentication against the tokens the OpenID part issued, quota failures on demand,
// page tokens and ETags. Each service (drive.go, gmail.go, calendar.go, ...) registers its
// routes in routeWorkspace and keeps its own state behind its own lock.

// routeWorkspace registers the fake Workspace APIs at Google's paths (all on the issuer's
// host, as GOOGLE_API_BASE_URL expects).
func (s *Sandbox) routeWorkspace(mux *http.ServeMux) {
	s.routeGmail(mux)
	s.routeDrive(mux)
	s.routeCalendar(mux)
}

// APIError is one Google API error answer:
// {"error": {"code": 404, "message": "...", "errors": [{"domain": "global", "reason": "notFound", "message": "..."}], "status": "NOT_FOUND"}}.
type APIError struct {
	Code    int
	Reason  string // e.g. notFound, forbidden, badRequest, rateLimitExceeded, invalid
	Message string
	// Location names the parameter at fault, when there is one.
	Location string
}

// statusNames are the canonical gRPC-style status strings Google APIs put in "status".
var statusNames = map[int]string{
	400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
	409: "ALREADY_EXISTS", 412: "FAILED_PRECONDITION", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
	503: "UNAVAILABLE",
}

// Write sends the error.
func (e APIError) Write(w http.ResponseWriter) {
	item := map[string]string{"domain": "global", "reason": e.Reason, "message": e.Message}
	if e.Location != "" {
		item["location"], item["locationType"] = e.Location, "parameter"
	}
	body := map[string]any{"error": map[string]any{
		"code": e.Code, "message": e.Message, "errors": []map[string]string{item}, "status": statusNames[e.Code],
	}}
	writeAPIJSON(w, e.Code, body)
}

func writeAPIJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// apiFailures scripts failures of the Workspace APIs, per service ("drive", "gmail", ...).
type apiFailures struct {
	mu    sync.Mutex
	queue map[string][]APIFailure
	count int
}

// APIFailure is a scripted answer of a Workspace API.
type APIFailure struct {
	Status     int           // 429, 500, 503, 403 ...
	Reason     string        // default from Status: rateLimitExceeded, backendError, ...
	Message    string        // default from Status
	RetryAfter time.Duration // sent as Retry-After when set
}

// FailAPI makes the next n requests to a Workspace service ("drive", "gmail", "calendar",
// or "*" for any) answer with f, as Google does under quota pressure or an outage.
func (s *Sandbox) FailAPI(service string, n int, f APIFailure) {
	s.apiFail.mu.Lock()
	defer s.apiFail.mu.Unlock()
	if s.apiFail.queue == nil {
		s.apiFail.queue = map[string][]APIFailure{}
	}
	for range n {
		s.apiFail.queue[service] = append(s.apiFail.queue[service], f)
	}
}

// APIFailuresServed counts the scripted Workspace API failures served so far.
func (s *Sandbox) APIFailuresServed() int {
	s.apiFail.mu.Lock()
	defer s.apiFail.mu.Unlock()
	return s.apiFail.count
}

func (s *Sandbox) nextAPIFailure(service string) (APIFailure, bool) {
	s.apiFail.mu.Lock()
	defer s.apiFail.mu.Unlock()
	for _, key := range []string{service, "*"} {
		if q := s.apiFail.queue[key]; len(q) > 0 {
			s.apiFail.queue[key] = q[1:]
			s.apiFail.count++
			return q[0], true
		}
	}
	return APIFailure{}, false
}

func defaultAPIFailure(f APIFailure) APIError {
	e := APIError{Code: f.Status, Reason: f.Reason, Message: f.Message}
	if e.Reason == "" {
		switch {
		case f.Status == http.StatusTooManyRequests:
			e.Reason = "rateLimitExceeded"
		case f.Status == http.StatusForbidden:
			e.Reason = "forbidden"
		case f.Status >= 500:
			e.Reason = "backendError"
		default:
			e.Reason = "badRequest"
		}
	}
	if e.Message == "" {
		switch e.Reason {
		case "rateLimitExceeded":
			e.Message = "Rate Limit Exceeded"
		case "backendError":
			e.Message = "Backend Error"
		default:
			e.Message = http.StatusText(f.Status)
		}
	}
	return e
}

// api wraps a Workspace API handler: scripted failures first, then bearer authentication
// requiring one of the scopes (Google answers 401 for a bad token and 403
// insufficientPermissions for a missing scope), then h with the caller's grant.
func (s *Sandbox) api(service string, scopes []string, h func(w http.ResponseWriter, r *http.Request, g Grant)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if f, ok := s.nextAPIFailure(service); ok {
			if f.RetryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(int(f.RetryAfter.Round(time.Second)/time.Second)))
			}
			defaultAPIFailure(f).Write(w)
			return
		}
		g, err := s.Authenticate(r, scopes...)
		if err != nil {
			err.(*AuthError).Respond(w)
			return
		}
		h(w, r, g)
	}
}

// pageToken encodes an offset into an opaque page token; decodePageToken reverses it and
// reports a malformed token (Google answers 400 invalid for those).
func pageToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(offset)))
}

func decodePageToken(tok string) (int, bool) {
	if tok == "" {
		return 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) < 3 || string(b[:2]) != "o:" {
		return 0, false
	}
	n, err := strconv.Atoi(string(b[2:]))
	return n, err == nil && n >= 0
}

// paginate returns the page of n items starting at the page token, and the next token ("" at
// the end).
func paginate(total int, token string, size, defaultSize, maxSize int) (start, end int, next string, ok bool) {
	start, ok = decodePageToken(token)
	if !ok {
		return 0, 0, "", false
	}
	if size <= 0 {
		size = defaultSize
	}
	if size > maxSize {
		size = maxSize
	}
	if start > total {
		start = total
	}
	end = min(start+size, total)
	if end < total {
		next = pageToken(end)
	}
	return start, end, next, true
}

// etag returns a strong ETag (quoted) for a resource's JSON form.
func etag(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}
