package workspace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"google.golang.org/api/googleapi"
)

// Errors of this package. Errors from a generated client come wrapped (in *url.Error and
// more); compare with errors.Is and errors.As.
var (
	// ErrNoCredential: no credential is stored for the account; the resolver answers
	// with an authorization URL.
	ErrNoCredential = errors.New("no stored Google credential for this account")
	// ErrReauthRequired: Google refused the refresh token (invalid_grant: revoked,
	// expired, password changed) or there is none; the account must be authorized again.
	// The error is a *ReauthError.
	ErrReauthRequired = errors.New("the Google account must be authorized again")
	// ErrUnavailable: Google's token endpoint could not be used right now (5xx, network);
	// the Refresher adapter maps its own "unavailable" error to it. Trying again later may work.
	ErrUnavailable = errors.New("Google's token service is unavailable")
	// ErrWriteBack: Google rotated the refresh token and gwmcp could not save the new one;
	// the access token is withheld until it is saved (the next call tries again).
	ErrWriteBack = errors.New("the refreshed Google token could not be saved")
	// ErrForeignHost: a request through an account's client named a host that is not a
	// Google API host (or not GOOGLE_API_BASE_URL's host); the token is never sent there.
	ErrForeignHost = errors.New("refusing to send Google credentials to this host")
	// ErrUnknownService: Endpoint or a lookup named a service this package does not know.
	ErrUnknownService = errors.New("unknown Google service")
)

// ReauthError says an account must be authorized again. It matches ErrReauthRequired.
// Tools show it with an authorization URL for Email and Scopes.
type ReauthError struct {
	Email  string   // the account, lower-case
	Scopes []string // the scopes the credential held, to ask for again
	Err    error    // the cause (the refresher's error), may be nil
}

func (e *ReauthError) Error() string {
	return "workspace: " + e.Email + ": Google access was revoked or has expired; the account must be authorized again"
}

// Is makes errors.Is(err, ErrReauthRequired) true.
func (e *ReauthError) Is(target error) bool { return target == ErrReauthRequired }

// Unwrap returns the cause.
func (e *ReauthError) Unwrap() error { return e.Err }

// serviceHeader is set by the account transport on Google's error responses so that
// Describe can name the API (googleapi.Error keeps the response header, not the URL).
const serviceHeader = "X-Gwmcp-Service"

// maxMessage bounds the length of Google's message in Describe.
const maxMessage = 300

// Describe turns an error of a workspace client into one sentence for a tool result:
// Google's status, reason and message for an API error ("Google Drive refused the request
// (403 insufficientFilePermissions): The user does not have sufficient permissions for
// this file."), or what to do for this package's errors. It never returns a Go error
// string, a response body or a stack. Describe(nil) is "".
func Describe(err error) string {
	if err == nil {
		return ""
	}
	var re *ReauthError
	var ge *googleapi.Error
	switch {
	case errors.As(err, &re):
		return "Google access for " + re.Email + " was revoked or has expired; authorize the account again."
	case errors.Is(err, ErrNoCredential):
		return "No Google credential is stored for this account; authorize it first."
	case errors.Is(err, ErrWriteBack):
		return "Google issued a new token for this account but gwmcp could not save it; try again in a moment."
	case errors.Is(err, ErrForeignHost):
		return "The request named a host that is not a Google API, so it was not sent."
	case errors.Is(err, ErrUnknownService):
		return "That Google service is not supported."
	case errors.As(err, &ge):
		return describeAPIError(ge)
	case errors.Is(err, ErrUnavailable):
		return "Google's sign-in service is unavailable right now; try again in a moment."
	case errors.Is(err, context.DeadlineExceeded):
		return "Google did not answer in time; try again."
	case errors.Is(err, context.Canceled):
		return "The request to Google was cancelled."
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return "Google could not be reached (network error); try again in a moment."
	}
	return "The request to Google failed unexpectedly; try again."
}

func describeAPIError(e *googleapi.Error) string {
	name := "Google"
	if e.Header != nil {
		if s := Service(e.Header.Get(serviceHeader)); s != "" {
			if n := s.DisplayName(); n != "" {
				name = n
			}
		}
	}
	reason, message := apiReasonMessage(e)
	status := fmt.Sprint(e.Code)
	if reason != "" {
		status += " " + reason
	}
	verb := "refused the request"
	switch {
	case e.Code == http.StatusTooManyRequests:
		verb = "is rate-limiting requests"
	case e.Code >= 500:
		verb = "could not complete the request"
	}
	s := fmt.Sprintf("%s %s (%s)", name, verb, status)
	if message != "" {
		s += ": " + message
	} else {
		s += "."
	}
	if e.Code == http.StatusTooManyRequests || e.Code >= 500 {
		s += " Try again later."
	}
	return s
}

// apiReasonMessage picks Google's reason and message from the error, falling back to the
// JSON body's "status" and the HTTP status text. The result is one clean line.
func apiReasonMessage(e *googleapi.Error) (reason, message string) {
	for _, it := range e.Errors {
		if reason == "" {
			reason = it.Reason
		}
		if message == "" {
			message = it.Message
		}
	}
	if reason == "" {
		reason = errorInfoReason(e.Details)
	}
	if e.Message != "" {
		message = e.Message
	}
	if reason == "" && e.Body != "" {
		var body struct {
			Error struct {
				Status string `json:"status"`
			} `json:"error"`
		}
		if json.Unmarshal([]byte(e.Body), &body) == nil {
			reason = body.Error.Status
		}
	}
	reason = cleanToken(reason)
	message = cleanLine(message)
	if message == "" {
		message = http.StatusText(e.Code)
		if message != "" {
			message += "."
		}
	}
	return reason, message
}

// errorInfoReason finds the reason of a google.rpc.ErrorInfo detail.
func errorInfoReason(details []any) string {
	for _, d := range details {
		m, ok := d.(map[string]any)
		if !ok {
			continue
		}
		if t, _ := m["@type"].(string); strings.HasSuffix(t, "google.rpc.ErrorInfo") {
			if r, _ := m["reason"].(string); r != "" {
				return r
			}
		}
	}
	return ""
}

// cleanToken keeps a reason to identifier characters.
func cleanToken(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.' || r == '-') {
			return r
		}
		return -1
	}, s)
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

// cleanLine folds whitespace and control characters, bounds the length and ends the
// sentence with a period.
func cleanLine(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	if r := []rune(s); len(r) > maxMessage {
		s = strings.TrimSpace(string(r[:maxMessage])) + "…"
	}
	if last, _ := utf8.DecodeLastRuneInString(s); s != "" && !strings.ContainsRune(".!?…", last) {
		s += "."
	}
	return s
}
