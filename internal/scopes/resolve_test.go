package scopes

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

const (
	urlDrive         = authPrefix + "drive"
	urlDriveReadOnly = authPrefix + "drive.readonly"
	urlDriveFile     = authPrefix + "drive.file"
	urlMail          = "https://mail.google.com/"
	urlGmailRead     = authPrefix + "gmail.readonly"
	urlGmailSend     = authPrefix + "gmail.send"
	urlEmail         = authPrefix + "userinfo.email"
	urlProfile       = authPrefix + "userinfo.profile"
	urlCalendar      = authPrefix + "calendar"
	urlCalEvents     = authPrefix + "calendar.events"
	urlCalRead       = authPrefix + "calendar.readonly"
)

func TestResolve(t *testing.T) {
	tests := []struct {
		name   string
		legacy bool
		in     []string
		want   []string
	}{
		{name: "nothing", in: nil, want: nil},
		{name: "URL", in: []string{urlDriveReadOnly}, want: []string{urlDriveReadOnly}},
		{name: "short name", in: []string{"drive.readonly"}, want: []string{urlDriveReadOnly}},
		{name: "gmail full by URL and name", in: []string{urlMail, "mail.google.com"}, want: []string{urlMail}},
		{name: "bare openid scopes", in: []string{"openid", "email", "profile"}, want: []string{"openid", "email", "profile"}},
		{name: "group", in: []string{"drive_full"}, want: []string{urlDrive}},
		{name: "group keeps its order", in: []string{"calendar_basic"}, want: []string{urlCalRead, urlCalEvents, urlCalendar}},
		{name: "base", in: []string{"base"}, want: []string{urlEmail, urlProfile, "openid"}},
		{name: "mixed, deduplicated in first-seen order",
			in:   []string{"gmail.send", urlDrive, "drive_full", "gmail_readonly", urlGmailSend},
			want: []string{urlGmailSend, urlDrive, urlGmailRead}},
		{name: "space and comma separated", in: []string{"drive.file gmail.send,\tcalendar"},
			want: []string{urlDriveFile, urlGmailSend, urlCalendar}},
		{name: "empty fields skipped", in: []string{"", " , ", "drive"}, want: []string{urlDrive}},
		{name: "legacy scope name", legacy: true, in: []string{"drive_read", "gmail_send"},
			want: []string{urlDriveReadOnly, urlGmailSend}},
		{name: "legacy service name", legacy: true, in: []string{"slides"},
			want: []string{authPrefix + "presentations", authPrefix + "presentations.readonly"}},
		{name: "gwmcp short name wins over legacy service name", legacy: true, in: []string{"drive"},
			want: []string{urlDrive}},
		{name: "gwmcp group wins over legacy scope name", legacy: true, in: []string{"drive_full"},
			want: []string{urlDrive}},
		{name: "legacy mode keeps modern names", legacy: true, in: []string{"drive.readonly", "office_suite"},
			want: []string{urlDriveReadOnly, urlDriveFile, authPrefix + "documents", authPrefix + "spreadsheets",
				authPrefix + "presentations"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := New(Options{Legacy: tt.legacy}).Resolve(tt.in...)
			if err != nil {
				t.Fatalf("Resolve(%q): %v", tt.in, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Resolve(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestResolveComplete(t *testing.T) {
	r := New(Options{})
	got, err := r.Resolve("complete")
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range r.Groups() {
		if missing := r.Missing(got, g.Scopes); missing != nil {
			t.Errorf("complete does not cover group %s: missing %v", g.Name, missing)
		}
	}
	for _, svc := range r.Services() {
		if !slices.ContainsFunc(got, func(u string) bool { return r.Service(u) == svc.ID }) {
			t.Errorf("complete has no scope of service %s", svc.ID)
		}
	}
}

func TestResolveUnknown(t *testing.T) {
	tests := []struct {
		name       string
		legacy     bool
		in         []string
		wantNames  []string // every unknown name, in order
		suggestion string   // for the first
		isLegacy   bool
	}{
		{name: "typo in short name", in: []string{"drive.readonyl"}, wantNames: []string{"drive.readonyl"},
			suggestion: "drive.readonly"},
		{name: "typo in service scope", in: []string{"gmail.sned"}, wantNames: []string{"gmail.sned"},
			suggestion: "gmail.send"},
		{name: "typo in group", in: []string{"drive_basci"}, wantNames: []string{"drive_basci"},
			suggestion: "drive_basic"},
		{name: "typo in URL", in: []string{authPrefix + "drive.readonyl"}, wantNames: []string{authPrefix + "drive.readonyl"},
			suggestion: urlDriveReadOnly},
		{name: "wrong case", in: []string{"Drive.ReadOnly"}, wantNames: []string{"Drive.ReadOnly"},
			suggestion: "drive.readonly"},
		{name: "nothing close", in: []string{"https://example.com/scope"}, wantNames: []string{"https://example.com/scope"}},
		{name: "unknown URL under googleapis", in: []string{authPrefix + "youtube"}, wantNames: []string{authPrefix + "youtube"}},
		{name: "every unknown reported", in: []string{"drve", "drive", "xyzzy"}, wantNames: []string{"drve", "xyzzy"},
			suggestion: "drive"},
		{name: "legacy name without legacy mode", in: []string{"drive_read"}, wantNames: []string{"drive_read"},
			suggestion: "drive.readonly", isLegacy: true},
		{name: "legacy service name without legacy mode", in: []string{"gmail"}, wantNames: []string{"gmail"},
			suggestion: "gmail_basic", isLegacy: true},
		{name: "legacy group without legacy mode", in: []string{"oauth_comprehensive"}, wantNames: []string{"oauth_comprehensive"},
			suggestion: "complete", isLegacy: true},
		{name: "uncovered service is unknown even in legacy mode", legacy: true, in: []string{"youtube_read"},
			wantNames: []string{"youtube_read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := New(Options{Legacy: tt.legacy}).Resolve(tt.in...)
			if err == nil {
				t.Fatalf("Resolve(%q) = %q, want an error", tt.in, got)
			}
			if got != nil {
				t.Errorf("Resolve returned scopes %q with its error", got)
			}
			var names []string
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var ue *UnknownError
				if !errors.As(e, &ue) {
					t.Fatalf("error %v is not an *UnknownError", e)
				}
				names = append(names, ue.Name)
				if !strings.Contains(err.Error(), ue.Name) {
					t.Errorf("message %q does not name %q", err, ue.Name)
				}
			}
			if !slices.Equal(names, tt.wantNames) {
				t.Errorf("unknown names = %q, want %q", names, tt.wantNames)
			}
			var first *UnknownError
			errors.As(err, &first)
			if first.Suggestion != tt.suggestion || first.Legacy != tt.isLegacy {
				t.Errorf("suggestion = %q (legacy %v), want %q (legacy %v); message %q",
					first.Suggestion, first.Legacy, tt.suggestion, tt.isLegacy, err)
			}
			if tt.suggestion != "" && !strings.Contains(err.Error(), tt.suggestion) {
				t.Errorf("message %q does not carry the suggestion", err)
			}
		})
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b  string
		limit int
		want  int
	}{
		{"", "", 5, 0},
		{"drive", "drive", 5, 0},
		{"drve", "drive", 5, 1},
		{"gmail.sned", "gmail.send", 5, 2},
		{"kitten", "sitting", 5, 3},
		{"kitten", "sitting", 2, 2}, // capped at the limit
		{"a", "abcdefgh", 3, 3},
	}
	for _, tt := range tests {
		if got := distance(tt.a, tt.b, tt.limit); got != tt.want {
			t.Errorf("distance(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.limit, got, tt.want)
		}
	}
}

func BenchmarkResolve(b *testing.B) {
	r := New(Options{Legacy: true})
	for b.Loop() {
		if _, err := r.Resolve("drive_basic", "gmail.send", urlCalendar, "gmail_read", "office_suite"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		New(Options{Legacy: true})
	}
}
