package workspace

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"google.golang.org/api/googleapi"
)

func hdr(s Service) http.Header { return http.Header{serviceHeader: {string(s)}} }

func TestDescribe(t *testing.T) {
	long := strings.Repeat("word ", 200)
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"drive 404", &googleapi.Error{Code: 404, Message: "File not found: abc.", Header: hdr(ServiceDrive),
			Errors: []googleapi.ErrorItem{{Reason: "notFound", Message: "File not found: abc."}}},
			"Google Drive refused the request (404 notFound): File not found: abc."},
		{"wrapped in url.Error", &url.Error{Op: "Get", URL: "https://x", Err: fmt.Errorf("op: %w",
			&googleapi.Error{Code: 403, Message: "Request had insufficient authentication scopes.", Header: hdr(ServiceGmail),
				Details: []any{map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT"}}})},
			"Gmail refused the request (403 ACCESS_TOKEN_SCOPE_INSUFFICIENT): Request had insufficient authentication scopes."},
		{"429", &googleapi.Error{Code: 429, Message: "Quota exceeded for quota metric 'Queries'", Header: hdr(ServiceSheets),
			Errors: []googleapi.ErrorItem{{Reason: "rateLimitExceeded"}}},
			"Google Sheets is rate-limiting requests (429 rateLimitExceeded): Quota exceeded for quota metric 'Queries'. Try again later."},
		{"html 502, unknown service", &googleapi.Error{Code: 502, Body: "<html><body>Error 502 (Server Error)!!1</body></html>"},
			"Google could not complete the request (502): Bad Gateway. Try again later."},
		{"status from body", &googleapi.Error{Code: 400, Message: "Invalid value at 'range'", Header: hdr(ServiceSheets),
			Body: `{"error":{"code":400,"message":"Invalid value at 'range'","status":"INVALID_ARGUMENT"}}`},
			"Google Sheets refused the request (400 INVALID_ARGUMENT): Invalid value at 'range'."},
		{"reauth", &ReauthError{Email: alice}, "Google access for alice@sandbox.example was revoked or has expired; authorize the account again."},
		{"no credential", fmt.Errorf("x: %w", ErrNoCredential), "No Google credential is stored for this account; authorize it first."},
		{"unavailable", fmt.Errorf("x: %w", ErrUnavailable), "Google's sign-in service is unavailable right now; try again in a moment."},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), "Google did not answer in time; try again."},
		{"canceled", context.Canceled, "The request to Google was cancelled."},
		{"network", &url.Error{Op: "Get", URL: "https://x", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}},
			"Google could not be reached (network error); try again in a moment."},
		{"anything else", errors.New("boom at /var/lib/secret.go:12"), "The request to Google failed unexpectedly; try again."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Describe(tc.err); got != tc.want {
				t.Errorf("Describe = %q\nwant       %q", got, tc.want)
			}
		})
	}
	// Google's message is one clean, bounded line.
	got := Describe(&googleapi.Error{Code: 400, Message: "line one\n\tline two\x00 " + long})
	if strings.ContainsAny(got, "\n\t\x00") || len([]rune(got)) > maxMessage+80 || !strings.Contains(got, "line one line two") {
		t.Errorf("Describe = %q", got)
	}
}

// The shared base transport keeps HTTP/2 and transparent gzip.
func TestTransportKeepsHTTP2AndGzip(t *testing.T) {
	tr, ok := defaultTransport().(*http.Transport)
	if !ok || !tr.ForceAttemptHTTP2 || tr.DisableCompression || tr.TLSNextProto != nil {
		t.Fatalf("default transport: %+v", tr)
	}
	var proto, enc string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proto, enc = r.Proto, r.Header.Get("Accept-Encoding")
		io.WriteString(w, `{"id":"f1","name":"n"}`)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	tr.TLSClientConfig.RootCAs = pool
	f, err := New(Options{Credentials: memStore(t, validCred(alice, "ya29.v")), Refresher: noRefresh{t},
		BaseURL: srv.URL, Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := f.Drive(context.Background(), alice)
	if _, err := d.Files.Get("f1").Do(); err != nil {
		t.Fatal(err)
	}
	if proto != "HTTP/2.0" || !strings.Contains(enc, "gzip") {
		t.Errorf("proto %q, Accept-Encoding %q; want HTTP/2.0 and gzip", proto, enc)
	}
}
