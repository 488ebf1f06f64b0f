package scopes

import (
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestSatisfies(t *testing.T) {
	tests := []struct {
		name     string
		granted  []string
		required string
		want     bool
	}{
		{"same URL", []string{urlDrive}, urlDrive, true},
		{"short name granted", []string{"drive"}, urlDrive, true},
		{"short name required", []string{urlDrive}, "drive.readonly", true},
		{"drive implies drive.readonly", []string{urlDrive}, urlDriveReadOnly, true},
		{"drive implies drive.file", []string{urlDrive}, urlDriveFile, true},
		{"drive implies metadata.readonly transitively", []string{urlDrive}, authPrefix + "drive.metadata.readonly", true},
		{"mail.google.com implies gmail.readonly", []string{urlMail}, urlGmailRead, true},
		{"mail.google.com implies gmail.send", []string{urlMail}, urlGmailSend, true},
		{"mail.google.com implies settings", []string{urlMail}, authPrefix + "gmail.settings.sharing", true},
		{"gmail.modify implies gmail.readonly", []string{authPrefix + "gmail.modify"}, urlGmailRead, true},
		{"gmail.modify implies send through compose", []string{authPrefix + "gmail.modify"}, urlGmailSend, true},
		{"calendar implies events.readonly", []string{urlCalendar}, authPrefix + "calendar.events.readonly", true},
		{"calendar implies settings.readonly via readonly", []string{urlCalendar}, authPrefix + "calendar.settings.readonly", true},
		{"one of several granted", []string{"openid", urlEmail, urlGmailSend, urlDrive}, urlDriveReadOnly, true},
		{"email alias granted", []string{"email"}, urlEmail, true},
		{"userinfo granted, bare required", []string{urlEmail}, "email", true},
		{"profile alias", []string{urlProfile}, "profile", true},
		{"unknown scope satisfies itself", []string{"https://example.com/x"}, "https://example.com/x", true},

		{"nothing granted", nil, urlDriveReadOnly, false},
		{"drive.readonly does not satisfy drive", []string{urlDriveReadOnly}, urlDrive, false},
		{"drive.file does not satisfy drive.readonly", []string{urlDriveFile}, urlDriveReadOnly, false},
		{"gmail.readonly does not satisfy mail.google.com", []string{urlGmailRead}, urlMail, false},
		{"gmail.modify does not satisfy mail.google.com", []string{authPrefix + "gmail.modify"}, urlMail, false},
		{"gmail.send does not satisfy compose", []string{urlGmailSend}, authPrefix + "gmail.compose", false},
		{"calendar.events does not satisfy calendar.readonly", []string{urlCalEvents}, urlCalRead, false},
		{"other service", []string{urlDrive}, authPrefix + "documents.readonly", false},
		{"email does not satisfy profile", []string{"email"}, "profile", false},
		{"unknown granted", []string{"https://example.com/x"}, urlDrive, false},
		{"unknown required", []string{urlDrive}, "https://example.com/x", false},
		{"legacy name is not a grant", []string{"drive_full"}, urlDrive, false},
	}
	for _, legacy := range []bool{false, true} {
		r := New(Options{Legacy: legacy})
		for _, tt := range tests {
			if got := r.Satisfies(tt.granted, tt.required); got != tt.want {
				t.Errorf("legacy=%v %s: Satisfies(%q, %q) = %v, want %v", legacy, tt.name, tt.granted, tt.required, got, tt.want)
			}
		}
	}
}

func TestSatisfiesEveryImplication(t *testing.T) {
	r := New(Options{})
	for _, s := range r.All() {
		if !r.Satisfies([]string{s.URL}, s.URL) {
			t.Errorf("%s does not satisfy itself", s.Name)
		}
		for _, u := range s.Implies {
			if !r.Satisfies([]string{s.URL}, u) {
				t.Errorf("%s does not satisfy implied %s", s.Name, u)
			}
			if r.Satisfies([]string{u}, s.URL) {
				t.Errorf("%s satisfies %s, which implies it", u, s.Name)
			}
		}
	}
}

func TestMissing(t *testing.T) {
	tests := []struct {
		name              string
		granted, required []string
		want              []string
	}{
		{"all granted", []string{urlDrive, urlGmailSend}, []string{urlDriveReadOnly, urlGmailSend}, nil},
		{"nothing required", []string{urlDrive}, nil, nil},
		{"nothing granted", nil, []string{urlDriveReadOnly, urlGmailSend}, []string{urlDriveReadOnly, urlGmailSend}},
		{"transitive", []string{urlMail}, []string{urlGmailRead, authPrefix + "gmail.labels"}, nil},
		{"partly missing, order kept, no duplicates", []string{urlDriveReadOnly},
			[]string{urlGmailSend, urlDriveReadOnly, urlDrive, urlGmailSend}, []string{urlGmailSend, urlDrive}},
	}
	r := New(Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.Missing(tt.granted, tt.required); !slices.Equal(got, tt.want) {
				t.Errorf("Missing = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReadOnly(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"empty", nil, nil},
		{"read-only kept", []string{urlDriveReadOnly, "openid", urlEmail}, []string{urlDriveReadOnly, "openid", urlEmail}},
		{"drive narrowed", []string{urlDrive}, []string{urlDriveReadOnly}},
		{"gmail full narrowed", []string{urlMail}, []string{urlGmailRead}},
		{"no counterpart dropped", []string{urlDriveFile, urlGmailSend, authPrefix + "photoslibrary.appendonly"}, nil},
		{"deduplicated in order", []string{urlCalendar, urlCalRead, urlCalEvents, authPrefix + "gmail.modify", urlGmailRead},
			[]string{urlCalRead, authPrefix + "calendar.events.readonly", urlGmailRead}},
		{"unknown dropped", []string{"https://example.com/x", urlDrive}, []string{urlDriveReadOnly}},
	}
	r := New(Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.ReadOnly(tt.in)
			if !slices.Equal(got, tt.want) {
				t.Errorf("ReadOnly(%q) = %q, want %q", tt.in, got, tt.want)
			}
			for _, u := range got {
				if s, _ := r.Lookup(u); !s.ReadOnly {
					t.Errorf("ReadOnly returned writable %s", u)
				}
			}
		})
	}
	// Narrowing every group never grants anything the group did not.
	for _, g := range r.Groups() {
		if missing := r.Missing(g.Scopes, r.ReadOnly(g.Scopes)); missing != nil {
			t.Errorf("ReadOnly(%s) widened access: %v", g.Name, missing)
		}
	}
}

func TestForServices(t *testing.T) {
	r := New(Options{})
	base, _ := r.Resolve("base")
	tests := []struct {
		name     string
		services []string
		groups   []string // what the result must equal, resolved
		wantErr  string
	}{
		{name: "none: sign-in only", services: nil, groups: []string{"base"}},
		{name: "identity is always there", services: []string{"identity"}, groups: []string{"base"}},
		{name: "one", services: []string{"drive"}, groups: []string{"base", "drive_basic"}},
		{name: "several, order kept", services: []string{"gmail", "calendar", "gmail"},
			groups: []string{"base", "gmail_basic", "calendar_basic"}},
		{name: "unknown", services: []string{"drive", "youtube", "gmial"}, wantErr: `"youtube"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.ForServices(tt.services)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "gmial") {
					t.Fatalf("err = %v, want one naming %s and gmial", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want, _ := r.Resolve(tt.groups...)
			if !slices.Equal(got, want) {
				t.Errorf("ForServices(%q) = %q, want %q", tt.services, got, want)
			}
			if !slices.Equal(got[:len(base)], base) {
				t.Errorf("sign-in scopes do not come first: %q", got)
			}
		})
	}
	// Every service on the consent page yields scopes of that service.
	for _, s := range r.Services() {
		got, err := r.ForServices([]string{s.ID})
		if err != nil {
			t.Fatalf("%s: %v", s.ID, err)
		}
		if !slices.ContainsFunc(got, func(u string) bool { return r.Service(u) == s.ID }) {
			t.Errorf("ForServices(%s) = %q has none of its scopes", s.ID, got)
		}
		if s.Name == "" || s.Description == "" {
			t.Errorf("service %s lacks a display name or description", s.ID)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		urls    []string
		wantErr []string // substrings; none means valid
	}{
		{name: "valid", urls: []string{urlDriveReadOnly, urlMail, "openid"}},
		{name: "undeclared", urls: nil, wantErr: []string{"no scopes declared"}},
		{name: "unknown URL with suggestion", urls: []string{authPrefix + "drive.readonli"},
			wantErr: []string{`unknown scope "` + authPrefix + `drive.readonli"`, urlDriveReadOnly}},
		{name: "unknown, nothing close", urls: []string{"https://example.com/scope"}, wantErr: []string{"unknown scope"}},
		{name: "short name instead of URL", urls: []string{"drive.readonly"}, wantErr: []string{"by its URL", urlDriveReadOnly}},
		{name: "group name", urls: []string{"drive_basic"}, wantErr: []string{"group name"}},
		{name: "legacy name", urls: []string{"gmail_send"}, wantErr: []string{"legacy name", urlGmailSend}},
		{name: "duplicate", urls: []string{urlDrive, urlDrive}, wantErr: []string{"declared twice"}},
		{name: "all problems reported", urls: []string{urlDrive, "drve", "drive_full"},
			wantErr: []string{`"drve"`, `"drive_full"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.urls)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Check(%q) = %v", tt.urls, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Check(%q) = nil, want an error", tt.urls)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Check(%q) = %q, want it to mention %q", tt.urls, err, w)
				}
			}
		})
	}
	// Every scope in the table passes by itself.
	for _, s := range New(Options{}).All() {
		if err := Check([]string{s.URL}); err != nil {
			t.Errorf("Check(%s): %v", s.URL, err)
		}
	}
}

func TestLookupServiceDescribe(t *testing.T) {
	tests := []struct {
		in          string
		legacy      bool
		wantURL     string
		wantService string
	}{
		{in: urlDriveReadOnly, wantURL: urlDriveReadOnly, wantService: "drive"},
		{in: "drive.readonly", wantURL: urlDriveReadOnly, wantService: "drive"},
		{in: urlMail, wantURL: urlMail, wantService: "gmail"},
		{in: "openid", wantURL: "openid", wantService: "identity"},
		{in: authPrefix + "contacts", wantURL: authPrefix + "contacts", wantService: "people"},
		{in: authPrefix + "photoslibrary.appendonly", wantURL: authPrefix + "photoslibrary.appendonly", wantService: "photos"},
		{in: authPrefix + "script.projects", wantURL: authPrefix + "script.projects", wantService: "script"},
		{in: authPrefix + "admin.directory.user", wantURL: authPrefix + "admin.directory.user", wantService: "admin"},
		{in: "gmail_send", legacy: true, wantURL: urlGmailSend},
		{in: "gmail_send"},
		{in: "gmail", legacy: true}, // a legacy name for several scopes is no single scope
		{in: "drive_basic"},
		{in: "https://example.com/x"},
	}
	for _, tt := range tests {
		r := New(Options{Legacy: tt.legacy})
		s, ok := r.Lookup(tt.in)
		if ok != (tt.wantURL != "") || s.URL != tt.wantURL {
			t.Errorf("legacy=%v Lookup(%q) = %q, %v; want %q", tt.legacy, tt.in, s.URL, ok, tt.wantURL)
		}
		if tt.wantService == "" {
			continue
		}
		if got := r.Service(tt.in); got != tt.wantService {
			t.Errorf("Service(%q) = %q, want %q", tt.in, got, tt.wantService)
		}
		if r.Describe(tt.in) == "" || r.Describe(tt.in) != s.Description {
			t.Errorf("Describe(%q) = %q", tt.in, r.Describe(tt.in))
		}
	}
	r := New(Options{})
	if r.Service("https://example.com/x") != "" || r.Describe("https://example.com/x") != "" {
		t.Error("unknown scope has a service or description")
	}
}

// TestRegistryImmutable proves callers cannot change the registry through what it returns.
func TestRegistryImmutable(t *testing.T) {
	r := New(Options{})
	s, _ := r.Lookup("drive")
	s.Implies[0] = "tampered"
	all := r.All()
	all[0].URL = "tampered"
	for i := range all {
		if len(all[i].Implies) > 0 {
			all[i].Implies[0] = "tampered"
		}
	}
	groups := r.Groups()
	groups[0].Scopes[0] = "tampered"
	r.Services()[0].ID = "tampered"

	fresh := New(Options{})
	if !slices.EqualFunc(r.All(), fresh.All(), func(a, b Scope) bool {
		return a.URL == b.URL && slices.Equal(a.Implies, b.Implies)
	}) {
		t.Error("All or Lookup results alias the registry")
	}
	if r.Groups()[0].Scopes[0] != fresh.Groups()[0].Scopes[0] || r.Services()[0].ID != fresh.Services()[0].ID {
		t.Error("Groups or Services results alias the registry")
	}
}

func TestConcurrentUse(t *testing.T) {
	r := New(Options{Legacy: true})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				got, err := r.Resolve("complete", "gmail_read")
				if err != nil || !r.Satisfies(got, urlGmailRead) || r.Missing(got, []string{urlDrive}) != nil {
					t.Error("concurrent use gave a wrong answer")
					return
				}
				_ = r.ReadOnly(got)
			}
		})
	}
	wg.Wait()
}

func BenchmarkSatisfies(b *testing.B) {
	r := New(Options{})
	granted, err := r.Resolve("base", "drive_basic", "gmail_full", "calendar_basic", "office_suite")
	if err != nil {
		b.Fatal(err)
	}
	required := authPrefix + "gmail.settings.sharing" // implied by mail.google.com, late in the list
	for b.Loop() {
		if !r.Satisfies(granted, required) {
			b.Fatal("not satisfied")
		}
	}
}

func BenchmarkSatisfiesMissing(b *testing.B) {
	r := New(Options{})
	granted, err := r.Resolve("complete")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if r.Satisfies(granted, authPrefix+"drive.appdata") {
			b.Fatal("satisfied")
		}
	}
}
