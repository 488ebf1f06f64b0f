package credentials

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestSafeNameMatchesPythonServer(t *testing.T) {
	tests := map[string]string{
		"alice@example.com":           "alice_at_example_com",
		"Alice@Example.COM":           "alice_at_example_com",
		"  bob@example.co.uk \n":      "bob_at_example_co_uk",
		"first.last@gmail.com":        "first_last_at_gmail_com",
		"first_last@gmail.com":        "first_last_at_gmail_com",
		"user+tag@example.com":        "user+tag_at_example_com",
		"o'brien-x@sub.example.org":   "o'brien-x_at_sub_example_org",
		"weird@at@example.com":        "weird_at_at_at_example_com",
		"x_at_y@example.com":          "x_at_y_at_example_com",
		"UPPER.Case+Tag@Domain.Co.JP": "upper_case+tag_at_domain_co_jp",
	}
	for in, want := range tests {
		if got := SafeName(in); got != want {
			t.Errorf("SafeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidateEmail(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"alice@example.com", true},
		{" Alice@Example.com ", true},
		{"a+b@x.io", true},
		{"", false},
		{"   ", false},
		{"no-at-sign", false},
		{"@example.com", false},
		{"alice@", false},
		{"../../etc/passwd@x.com", false},
		{`a\b@x.com`, false},
		{"a b@x.com", false},
		{"a\x00b@x.com", false},
		{strings.Repeat("a", 320) + "@x.com", false},
	}
	for _, tt := range tests {
		err := ValidateEmail(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateEmail(%q) = %v, want ok=%v", tt.in, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidEmail) {
			t.Errorf("ValidateEmail(%q) error does not wrap ErrInvalidEmail", tt.in)
		}
	}
}

func TestParseMode(t *testing.T) {
	tests := []struct {
		in   string
		want Mode
		ok   bool
	}{
		{"", FileEncrypted, true},
		{"FILE_ENCRYPTED", FileEncrypted, true},
		{"file_plaintext", FilePlaintext, true},
		{" memory_only ", MemoryOnly, true},
		{"Memory_With_Backup", MemoryWithBackup, true},
		{"encrypted", "", false},
		{"FILE", "", false},
	}
	for _, tt := range tests {
		got, err := ParseMode(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseMode(%q) = %q, %v", tt.in, got, err)
		}
		if err != nil {
			for _, m := range Modes {
				if !strings.Contains(err.Error(), string(m)) {
					t.Errorf("error %q does not list %s", err, m)
				}
			}
		}
	}
	if !FilePlaintext.IsPlaintext() || FileEncrypted.IsPlaintext() || MemoryOnly.Persistent() || !MemoryWithBackup.NeedsKeyring() {
		t.Fatal("mode predicates are wrong")
	}
}

func TestCredentialNeverPrintsTokens(t *testing.T) {
	c := sampleCredential("alice@example.com", 1)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, c)
		if strings.Contains(out, c.RefreshToken.Reveal()) || strings.Contains(out, c.AccessToken.Reveal()) {
			t.Fatalf("%s prints a token: %s", verb, out)
		}
	}
}
