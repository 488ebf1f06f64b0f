package app

import (
	"io"
	"log/slog"
	"strings"

	"github.com/gwmcp/gwmcp/internal/secret"
)

// LogOptions configure NewLogger.
type LogOptions struct {
	// JSON selects JSON lines (for files and log collectors); otherwise text for a terminal.
	JSON bool
	// Debug turns on debug detail (ENHANCED_LOGGING).
	Debug bool
}

// NewLogger returns the server's logger. Besides secret.String, which always redacts itself,
// it redacts any attribute whose key names a credential (token, secret, password,
// authorization, cookie, code_verifier...), so a careless log call still leaks nothing.
func NewLogger(w io.Writer, o LogOptions) *slog.Logger {
	level := slog.LevelInfo
	if o.Debug {
		level = slog.LevelDebug
	}
	ho := &slog.HandlerOptions{Level: level, ReplaceAttr: redactAttr}
	if o.JSON {
		return slog.New(slog.NewJSONHandler(w, ho))
	}
	return slog.New(slog.NewTextHandler(w, ho))
}

// sensitiveKeys are attribute keys (or key suffixes) whose values are never logged.
// session_id is here because an MCP session id is a bearer of the session (the SDK logs it).
var sensitiveKeys = []string{"token", "secret", "password", "passwd", "authorization", "cookie", "code_verifier", "api_key", "apikey", "private_key", "credential", "session_id", "sessionid"}

func redactAttr(_ []string, a slog.Attr) slog.Attr {
	k := strings.ToLower(a.Key)
	for _, s := range sensitiveKeys {
		if strings.Contains(k, s) {
			switch a.Value.Kind() {
			case slog.KindBool, slog.KindInt64, slog.KindUint64, slog.KindFloat64, slog.KindDuration, slog.KindTime:
				return a // counts, flags and times carry no secret
			}
			if a.Value.Kind() == slog.KindString && a.Value.String() == "" {
				return a
			}
			return slog.String(a.Key, secret.Redacted)
		}
	}
	return a
}
