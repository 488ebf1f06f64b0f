package sandbox

import (
	"errors"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
)

const (
	gmCarol   = "carol@sandbox.example"
	gmDave    = "dave@consumer.example"
	gmMail    = "https://mail.google.com/"
	gmModify  = "https://www.googleapis.com/auth/gmail.modify"
	gmMeta    = "https://www.googleapis.com/auth/gmail.metadata"
	gmSend    = "https://www.googleapis.com/auth/gmail.send"
	gmCompose = "https://www.googleapis.com/auth/gmail.compose"
	gmLabels  = "https://www.googleapis.com/auth/gmail.labels"
	gmSetting = "https://www.googleapis.com/auth/gmail.settings.basic"
)

// gmBearer adds an access token to every request, as an oauth2 transport would.
type gmBearer struct {
	token string
	base  http.RoundTripper
}

func (b gmBearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.base.RoundTrip(r)
}

// gmailClient returns the real generated Gmail client acting as email with scopes.
func (h *harness) gmailClient(email string, scopes ...string) *gmail.Service {
	h.t.Helper()
	ts, err := h.sb.IssueTokens(email, webClientID, scopes)
	if err != nil {
		h.t.Fatal(err)
	}
	client := &http.Client{Transport: gmBearer{token: ts.AccessToken.Reveal(), base: h.srv.Client().Transport}}
	svc, err := gmail.NewService(h.t.Context(), option.WithEndpoint(h.srv.URL+"/"), option.WithHTTPClient(client))
	if err != nil {
		h.t.Fatal(err)
	}
	return svc
}

// wantAPIError asserts a googleapi error with this status and, when given, reason and
// message substring.
func gmWantError(t *testing.T, err error, status int, reason, msg string) {
	t.Helper()
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		t.Fatalf("err = %v, want a %d googleapi.Error", err, status)
	}
	if ge.Code != status {
		t.Fatalf("status %d (%s), want %d", ge.Code, ge.Message, status)
	}
	if reason != "" && (len(ge.Errors) == 0 || ge.Errors[0].Reason != reason) {
		t.Fatalf("errors = %+v, want reason %s", ge.Errors, reason)
	}
	if msg != "" && !strings.Contains(ge.Message, msg) {
		t.Fatalf("message %q, want it to contain %q", ge.Message, msg)
	}
}

// subjects maps ids to subjects through the sandbox's own view of the mailbox.
func gmSubjects(t *testing.T, sb *Sandbox, email string, ids []string) []string {
	t.Helper()
	byID := map[string]string{}
	for _, m := range sb.GmailMessages(email) {
		byID[m.ID] = m.Header("Subject")
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		s, ok := byID[id]
		if !ok {
			t.Fatalf("id %s is not in %s's mailbox", id, email)
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// listIDs pages through messages.list and returns every id.
func gmListIDs(t *testing.T, call *gmail.UsersMessagesListCall) []string {
	t.Helper()
	var ids []string
	err := call.Pages(t.Context(), func(r *gmail.ListMessagesResponse) error {
		for _, m := range r.Messages {
			ids = append(ids, m.Id)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("messages.list: %v", err)
	}
	return ids
}

// findBySubject returns the newest message of email with this subject.
func gmFind(t *testing.T, sb *Sandbox, email, subject string) GmailMessageInfo {
	t.Helper()
	for _, m := range sb.GmailMessages(email) {
		if m.Header("Subject") == subject {
			return m
		}
	}
	t.Fatalf("%s has no message %q", email, subject)
	return GmailMessageInfo{}
}

func gmSorted(s ...string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}
