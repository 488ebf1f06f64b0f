package sandbox

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

// BenchmarkGmailSearch measures messages.list with a compound query over alice's seeded
// mailbox, through the HTTP handler (authentication included), without a network.
func BenchmarkGmailSearch(b *testing.B) {
	clock := &fakeClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	sb, err := New(Options{Now: clock.Now, Clients: []Client{{ID: webClientID, RedirectURIs: []string{webRedirect}}}})
	if err != nil {
		b.Fatal(err)
	}
	ts, err := sb.IssueTokens(alice, webClientID, []string{gmRO})
	if err != nil {
		b.Fatal(err)
	}
	target := "/gmail/v1/users/me/messages?q=" + url.QueryEscape("(from:bob OR from:carol) -subject:lunch newer_than:30d")
	h := sb.Handler()
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		r.Header.Set("Authorization", "Bearer "+ts.AccessToken.Reveal())
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}

// BenchmarkGmailParseMIME measures parsing the seeded message with a PDF and a CSV.
func BenchmarkGmailParseMIME(b *testing.B) {
	var raw []byte
	for _, sm := range seedMails() {
		if sm.key == "invoice-march" {
			raw = sm.build(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), "")
		}
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseMIME(raw); err != nil {
			b.Fatal(err)
		}
	}
}
