package sandbox

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestDriveQueryParse(t *testing.T) {
	good := []string{
		"", "  ", "name = 'x'", "name != 'x'", "name contains 'x'", "fullText contains 'x y'", "mimeType = 'text/plain'",
		"mimeType contains 'image/'", "'abc' in parents", "'a@b.c' in owners", "'a@b.c' in writers", "'a@b.c' in readers",
		"trashed = true", "trashed != false", "starred = true", "sharedWithMe", "sharedWithMe = false",
		"modifiedTime > '2026-01-01T00:00:00Z'", "modifiedTime <= '2026-01-01T00:00:00.123+02:00'", "createdTime >= '2026-01-01'",
		"not name = 'x'", "not not trashed = true", "(name = 'a' or name = 'b') and trashed = false",
		`name = 'it\'s'`, `name = 'back\\slash'`, "name='tight'and trashed=false", "sharedWithMe and trashed = false",
		"visibility != 'limited'", "NOT name = 'x' AND trashed = false",
	}
	for _, q := range good {
		if _, err := parseDriveQuery(q); err != nil {
			t.Errorf("parseDriveQuery(%q) = %v, want ok", q, err)
		}
	}
	bad := []string{
		"name", "name =", "name = x", "= 'x'", "'x'", "'x' in", "'x' in name", "name in parents", "trashed = 'true'",
		"trashed contains true", "fullText = 'x'", "modifiedTime contains '2026'", "modifiedTime > 'soon'", "name = 'x' or",
		"and name = 'x'", "(name = 'x'", "name = 'x'))", "name = 'x' name = 'y'", "name = 'x", "name == 'x'", "name <> 'x'",
		"properties has { key='a' and value='b' }", "name = 'x' ; drop", "sharedWithMe = 1", "parents = 'x'",
		strings.Repeat("not ", 100) + "trashed = true", strings.Repeat("x", 20001),
	}
	for _, q := range bad {
		if _, err := parseDriveQuery(q); err == nil {
			t.Errorf("parseDriveQuery(%q) = ok, want an error", q[:min(len(q), 60)])
		}
	}
}

func TestDriveTextMatching(t *testing.T) {
	prefix := []struct {
		hay, needle string
		want        bool
	}{
		{"HelloWorld", "Hello", true}, {"HelloWorld", "World", false}, {"Say hello", "HELLO", true},
		{"Othello", "hello", false}, {"Q3 Launch Plan", "launch pl", true}, {"x", "", true}, {"ééé-été", "été", true},
	}
	for _, tc := range prefix {
		if got := driveWordPrefix(tc.hay, tc.needle); got != tc.want {
			t.Errorf("driveWordPrefix(%q, %q) = %v", tc.hay, tc.needle, got)
		}
	}
	full := []struct {
		text, q string
		want    bool
	}{
		{"Hello there world", "hello", true}, {"Hello there world", "hell", false}, {"Hello there world", "world hello", true},
		{"Hello there world", `"hello there"`, true}, {"Hello there world", `"hello world"`, false},
		{"Hello_world", `"hello world"`, true}, {"anything", "", false},
	}
	for _, tc := range full {
		if got := driveFullText(tc.text, tc.q); got != tc.want {
			t.Errorf("driveFullText(%q, %q) = %v", tc.text, tc.q, got)
		}
	}
}

func TestDriveFieldMask(t *testing.T) {
	v := map[string]any{"kind": "k", "files": []map[string]any{{"id": "1", "name": "a", "size": "3"}}, "nextPageToken": "n"}
	tests := []struct{ mask, want string }{
		{"files(id,name)", `{"files":[{"id":"1","name":"a"}]}`},
		{"files/id,nextPageToken", `{"files":[{"id":"1"}],"nextPageToken":"n"}`},
		{"*", `{"files":[{"id":"1","name":"a","size":"3"}],"kind":"k","nextPageToken":"n"}`},
		{"files(*)", `{"files":[{"id":"1","name":"a","size":"3"}]}`},
		{" kind , files( id ) ", `{"files":[{"id":"1"}],"kind":"k"}`},
		{"files(id),files(name)", `{"files":[{"id":"1","name":"a"}]}`},
		{"files,files(id)", `{"files":[{"id":"1","name":"a","size":"3"}]}`},
	}
	for _, tc := range tests {
		m, e := driveFields(tc.mask, "", driveFileListSchema)
		if e != nil {
			t.Fatalf("%q: %v", tc.mask, e.Message)
		}
		b, _ := json.Marshal(m.apply(v))
		if string(b) != tc.want {
			t.Errorf("mask %q = %s, want %s", tc.mask, b, tc.want)
		}
	}
	for _, bad := range []string{"files(", "files)", "files(id", ",", "files//id", "a b", "files(id,,name)", "files/nope", "nope"} {
		if _, e := driveFields(bad, "", driveFileListSchema); e == nil || e.Code != 400 || e.Reason != "invalidParameter" {
			t.Errorf("mask %q accepted", bad)
		}
	}
}

func BenchmarkDriveQueryParse(b *testing.B) {
	q := "(name contains 'Launch' or fullText contains 'vendor') and mimeType != 'application/vnd.google-apps.folder' and trashed = false and 'root' in parents"
	for b.Loop() {
		if _, err := parseDriveQuery(q); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDriveList measures one files.list over HTTP (handler only, no network) for alice's
// ~35 seeded items with a query, ordering and a field mask.
func BenchmarkDriveList(b *testing.B) {
	sb, err := New(Options{SigningKey: driveTestKey(), Clients: []Client{{ID: driveTestClient, RedirectURIs: []string{"https://gwmcp.test/cb"}}}})
	if err != nil {
		b.Fatal(err)
	}
	ts, err := sb.IssueTokens(driveAlice, driveTestClient, []string{driveScopeFull})
	if err != nil {
		b.Fatal(err)
	}
	h := sb.Handler()
	q := url.Values{"q": {"trashed = false and name contains 'Meeting'"}, "orderBy": {"folder,name"}, "pageSize": {"50"},
		"fields": {"nextPageToken,files(id,name,mimeType,modifiedTime,owners(emailAddress))"}}
	req := httptest.NewRequest("GET", "/drive/v3/files?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+ts.AccessToken.Reveal())
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
