// Package secret owns the String type for values that must never reach a log line,
// an error message or printed configuration: tokens, client secrets, keys.
//
// A secret.String prints as "[redacted]" through fmt (%v, %s, %q, %+v, %#v), log/slog and
// encoding/json. Code that must write the real value (a credential file, an HTTP form to
// Google) calls Reveal explicitly, which keeps every such place easy to find.
package secret

import (
	"fmt"
	"log/slog"
)

// Redacted is what a non-empty secret prints as.
const Redacted = "[redacted]"

// String holds a secret value. The zero value is the empty secret.
type String struct {
	v string
}

// New wraps s as a secret.
func New(s string) String { return String{v: s} }

// Reveal returns the secret value. Call it only where the value leaves the process on
// purpose (a sealed file, a request to the upstream), never for logging.
func (s String) Reveal() string { return s.v }

// IsZero reports whether the secret is empty.
func (s String) IsZero() bool { return s.v == "" }

// String implements fmt.Stringer with a redacted form.
func (s String) String() string {
	if s.v == "" {
		return ""
	}
	return Redacted
}

// GoString implements fmt.GoStringer so %#v stays redacted.
func (s String) GoString() string { return fmt.Sprintf("secret.String(%q)", s.String()) }

// Format implements fmt.Formatter so every verb stays redacted.
func (s String) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", s.String())
		return
	}
	fmt.Fprint(f, s.String())
}

// LogValue implements slog.LogValuer.
func (s String) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText implements encoding.TextMarshaler (and so JSON) with the redacted form.
// Serialisation that must keep the value converts to a plain string with Reveal.
func (s String) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
