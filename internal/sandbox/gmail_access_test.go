package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/api/gmail/v1"
)

func TestGmailDelegationAndScopes(t *testing.T) {
	h := newHarness(t)
	inv := gmFind(t, h.sb, alice, "March invoice and usage report")
	att := func() string {
		m, err := h.gmailClient(alice, gmRO).Users.Messages.Get("me", inv.ID).Do()
		if err != nil {
			t.Fatal(err)
		}
		return m.Payload.Parts[1].Body.AttachmentId
	}()
	send := gmRaw(gmRFC822("x", "To: bob@sandbox.example", "Subject: scope test"))
	tests := []struct {
		name   string
		scopes []string
		call   func(svc *gmail.Service) error
		status int
		reason string
		text   string
	}{
		{"own email as userId", []string{gmRO}, func(s *gmail.Service) error {
			_, err := s.Users.GetProfile(alice).Do()
			return err
		}, 0, "", ""},
		{"own email in other case", []string{gmRO}, func(s *gmail.Service) error {
			_, err := s.Users.Messages.List("ALICE@sandbox.example").Do()
			return err
		}, 0, "", ""},
		{"another user's mailbox", []string{gmMail}, func(s *gmail.Service) error {
			_, err := s.Users.Messages.List(bob).Do()
			return err
		}, 403, "forbidden", "Delegation denied for bob@sandbox.example"},
		{"another user's message by id", []string{gmMail}, func(s *gmail.Service) error {
			_, err := s.Users.Messages.Get(bob, inv.ID).Do()
			return err
		}, 403, "forbidden", "Delegation denied"},
		{"another user's drafts", []string{gmMail}, func(s *gmail.Service) error {
			_, err := s.Users.Drafts.Create(bob, &gmail.Draft{Message: send}).Do()
			return err
		}, 403, "forbidden", "Delegation denied"},
		{"readonly cannot send", []string{gmRO}, func(s *gmail.Service) error {
			_, err := s.Users.Messages.Send("me", send).Do()
			return err
		}, 403, "insufficientPermissions", ""},
		{"readonly cannot modify", []string{gmRO}, func(s *gmail.Service) error {
			_, err := s.Users.Messages.Modify("me", inv.ID, &gmail.ModifyMessageRequest{AddLabelIds: []string{"STARRED"}}).Do()
			return err
		}, 403, "insufficientPermissions", ""},
		{"send cannot read", []string{gmSend}, func(s *gmail.Service) error {
			_, err := s.Users.Messages.List("me").Do()
			return err
		}, 403, "insufficientPermissions", ""},
		{"compose can send", []string{gmCompose}, func(s *gmail.Service) error {
			_, err := s.Users.Messages.Send("me", send).Do()
			return err
		}, 0, "", ""},
		{"modify can send", []string{gmModify}, func(s *gmail.Service) error {
			_, err := s.Users.Messages.Send("me", send).Do()
			return err
		}, 0, "", ""},
		{"drive scope is not enough", []string{scopeDriveRO}, func(s *gmail.Service) error {
			_, err := s.Users.GetProfile("me").Do()
			return err
		}, 403, "insufficientPermissions", ""},
		{"metadata: get metadata", []string{gmMeta}, func(s *gmail.Service) error {
			_, err := s.Users.Messages.Get("me", inv.ID).Format("metadata").Do()
			return err
		}, 0, "", ""},
		{"metadata: get minimal", []string{gmMeta}, func(s *gmail.Service) error {
			_, err := s.Users.Messages.Get("me", inv.ID).Format("minimal").Do()
			return err
		}, 0, "", ""},
		{"metadata: no full", []string{gmMeta}, func(s *gmail.Service) error {
			_, err := s.Users.Messages.Get("me", inv.ID).Do()
			return err
		}, 403, "forbidden", "Metadata scope doesn't allow format FULL"},
		{"metadata: no raw", []string{gmMeta}, func(s *gmail.Service) error {
			_, err := s.Users.Messages.Get("me", inv.ID).Format("raw").Do()
			return err
		}, 403, "forbidden", "Metadata scope doesn't allow format RAW"},
		{"metadata: list without q", []string{gmMeta}, func(s *gmail.Service) error {
			_, err := s.Users.Messages.List("me").LabelIds("INBOX").Do()
			return err
		}, 0, "", ""},
		{"metadata: no q", []string{gmMeta}, func(s *gmail.Service) error {
			_, err := s.Users.Messages.List("me").Q("from:bob").Do()
			return err
		}, 403, "forbidden", "Metadata scope does not support 'q' parameter"},
		{"metadata: no q on threads", []string{gmMeta}, func(s *gmail.Service) error {
			_, err := s.Users.Threads.List("me").Q("from:bob").Do()
			return err
		}, 403, "forbidden", "'q'"},
		{"metadata: no full thread", []string{gmMeta}, func(s *gmail.Service) error {
			_, err := s.Users.Threads.Get("me", inv.ThreadID).Do()
			return err
		}, 403, "forbidden", "FULL"},
		{"metadata: no attachments", []string{gmMeta}, func(s *gmail.Service) error {
			_, err := s.Users.Messages.Attachments.Get("me", inv.ID, att).Do()
			return err
		}, 403, "insufficientPermissions", ""},
		{"metadata plus readonly reads bodies", []string{gmMeta, gmRO}, func(s *gmail.Service) error {
			_, err := s.Users.Messages.List("me").Q("from:bob").Do()
			return err
		}, 0, "", ""},
		{"labels scope manages labels", []string{gmLabels}, func(s *gmail.Service) error {
			_, err := s.Users.Labels.Create("me", &gmail.Label{Name: "Scoped"}).Do()
			return err
		}, 0, "", ""},
		{"readonly cannot create labels", []string{gmRO}, func(s *gmail.Service) error {
			_, err := s.Users.Labels.Create("me", &gmail.Label{Name: "Nope"}).Do()
			return err
		}, 403, "insufficientPermissions", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(h.gmailClient(alice, tc.scopes...))
			if tc.status == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			gmWantError(t, err, tc.status, tc.reason, tc.text)
		})
	}
}

func TestGmailScriptedFailures(t *testing.T) {
	h := newHarness(t)
	svc := h.gmailClient(alice, gmRO)
	h.sb.FailAPI("gmail", 1, APIFailure{Status: 429})
	_, err := svc.Users.Messages.List("me").Do()
	gmWantError(t, err, 429, "rateLimitExceeded", "Rate Limit Exceeded")
	if _, err := svc.Users.Messages.List("me").Do(); err != nil {
		t.Fatalf("the failure should be served once: %v", err)
	}
	h.sb.FailAPI("gmail", 1, APIFailure{Status: 503})
	_, err = svc.Users.GetProfile("me").Do()
	gmWantError(t, err, 503, "backendError", "")
	if h.sb.APIFailuresServed() != 2 {
		t.Fatalf("%d failures served", h.sb.APIFailuresServed())
	}
}

// rawCall sends a request straight to the sandbox, for what the generated client cannot
// produce.
func (h *harness) gmRawCall(method, path, token, ctype string, body []byte) (int, map[string]any) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			h.t.Fatalf("%s %s: %d, not JSON: %.200s", method, path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode, out
}

func TestGmailMalformedRequests(t *testing.T) {
	h := newHarness(t)
	ts, err := h.sb.IssueTokens(alice, webClientID, []string{gmMail, gmSetting})
	if err != nil {
		t.Fatal(err)
	}
	tok := ts.AccessToken.Reveal()
	nested := "To: bob@sandbox.example\r\nSubject: deep\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	for range 200 {
		nested += "--b\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	}
	multi := func(parts ...string) []byte {
		var b strings.Builder
		for _, p := range parts {
			b.WriteString("--XX\r\n" + p + "\r\n")
		}
		b.WriteString("--XX--\r\n")
		return []byte(b.String())
	}
	tests := []struct {
		name, method, path, token, ctype string
		body                             []byte
		status                           int
		text                             string
	}{
		{"no token", "GET", "/gmail/v1/users/me/messages", "", "", nil, 401, ""},
		{"bad token", "GET", "/gmail/v1/users/me/messages", "ya29.forged", "", nil, 401, ""},
		{"unknown route", "GET", "/gmail/v1/users/me/nothing", tok, "", nil, 404, "not found"},
		{"wrong method", "PATCH", "/gmail/v1/users/me/messages", tok, "", nil, 404, ""},
		{"maxResults not a number", "GET", "/gmail/v1/users/me/messages?maxResults=lots", tok, "", nil, 400, "maxResults"},
		{"includeSpamTrash not a bool", "GET", "/gmail/v1/users/me/messages?includeSpamTrash=perhaps", tok, "", nil, 400, "includeSpamTrash"},
		{"broken JSON", "POST", "/gmail/v1/users/me/messages/send", tok, "application/json", []byte(`{"raw":`), 400, "Invalid JSON"},
		{"wrong JSON type", "POST", "/gmail/v1/users/me/labels", tok, "application/json", []byte(`{"name":42}`), 400, "Invalid JSON"},
		{"oversized JSON", "POST", "/gmail/v1/users/me/labels", tok, "application/json",
			[]byte(`{"name":"` + strings.Repeat("a", 2<<20) + `"}`), 413, ""},
		{"upload without uploadType", "POST", "/upload/gmail/v1/users/me/messages/send", tok, "message/rfc822",
			gmRFC822("x", "To: bob@sandbox.example"), 400, "uploadType"},
		{"resumable upload", "POST", "/upload/gmail/v1/users/me/messages/send?uploadType=resumable", tok, "application/json",
			[]byte("{}"), 400, "upload type"},
		{"media upload of the wrong type", "POST", "/upload/gmail/v1/users/me/messages/send?uploadType=media", tok, "image/png",
			gmRFC822("x", "To: bob@sandbox.example"), 400, "Media type 'image/png' is not supported"},
		{"multipart without boundary", "POST", "/upload/gmail/v1/users/me/messages/send?uploadType=multipart", tok, "multipart/related",
			nil, 400, "multipart"},
		{"multipart with one part", "POST", "/upload/gmail/v1/users/me/messages/send?uploadType=multipart", tok,
			"multipart/related; boundary=XX", multi("Content-Type: application/json\r\n\r\n{}"), 400, "1 mime parts"},
		{"multipart with bad metadata", "POST", "/upload/gmail/v1/users/me/messages/send?uploadType=multipart", tok,
			"multipart/related; boundary=XX", multi("Content-Type: application/json\r\n\r\n{nope", "Content-Type: message/rfc822\r\n\r\nTo: bob@sandbox.example\r\n\r\nx"), 400, "Invalid JSON"},
		{"multipart with metadata not first", "POST", "/upload/gmail/v1/users/me/messages/send?uploadType=multipart", tok,
			"multipart/related; boundary=XX", multi("Content-Type: message/rfc822\r\n\r\nTo: bob@sandbox.example\r\n\r\nx", "Content-Type: application/json\r\n\r\n{}"), 400, "application/json"},
		{"batchModify with a bad id", "POST", "/gmail/v1/users/me/messages/batchModify", tok, "application/json",
			[]byte(`{"ids":["../etc"],"addLabelIds":["STARRED"]}`), 400, "Invalid id"},
		{"batchModify with too many ids", "POST", "/gmail/v1/users/me/messages/batchModify", tok, "application/json",
			[]byte(`{"ids":[` + strings.Repeat(`"abc",`, 1000) + `"abc"]}`), 400, "Too many"},
		{"deeply nested MIME is still a message", "POST", "/gmail/v1/users/me/messages/send", tok, "application/json",
			[]byte(`{"raw":"` + gmRaw([]byte(nested)).Raw + `"}`), 200, ""},
		{"filter with a bad size comparison", "POST", "/gmail/v1/users/me/settings/filters", tok, "application/json",
			[]byte(`{"criteria":{"size":5,"sizeComparison":"huge"},"action":{"addLabelIds":["STARRED"]}}`), 400, "sizeComparison"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := h.gmRawCall(tc.method, tc.path, tc.token, tc.ctype, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, body)
			}
			if tc.status >= 400 {
				e, _ := body["error"].(map[string]any)
				msg, _ := e["message"].(string)
				if e == nil || int(e["code"].(float64)) != tc.status || !strings.Contains(strings.ToLower(msg), strings.ToLower(tc.text)) {
					t.Fatalf("error body %v, want message containing %q", body, tc.text)
				}
			}
		})
	}
	// The upload path with a proper multipart body and a threadId in the metadata works.
	status, body := h.gmRawCall("POST", "/upload/gmail/v1/users/me/messages/send?uploadType=multipart", tok,
		"multipart/related; boundary=XX", multi("Content-Type: application/json; charset=UTF-8\r\n\r\n{}",
			"Content-Type: message/rfc822\r\n\r\nTo: bob@sandbox.example\r\nSubject: by hand\r\n\r\nhello"))
	if status != 200 || body["id"] == "" {
		t.Fatalf("multipart upload: %d %v", status, body)
	}
	if got := gmFind(t, h.sb, bob, "by hand"); got.Body != "hello" {
		t.Fatalf("body %q", got.Body)
	}
	// The id of a message never leaks another mailbox's content.
	bobMsg := h.sb.GmailMessages(bob)[0]
	status, _ = h.gmRawCall("GET", fmt.Sprintf("/gmail/v1/users/me/messages/%s", bobMsg.ID), tok, "", nil)
	if status != 404 {
		t.Fatalf("alice reads bob's message by id: %d", status)
	}
}
