package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLoadDefaults(t *testing.T) {
	eff, err := Load(Sources{})
	if err != nil {
		t.Fatal(err)
	}
	c := eff.Config
	if c.Transport != TransportStdio || c.Host != "127.0.0.1" || c.Port != 8002 ||
		c.BaseURL != "http://localhost:8002" || c.SessionTimeout != time.Hour ||
		c.MaxSessionLifetime != 24*time.Hour || c.CredentialsDir != "./credentials" {
		t.Errorf("defaults = %+v", c)
	}
	if c.MCPResource() != "http://localhost:8002/mcp" {
		t.Errorf("MCPResource = %q", c.MCPResource())
	}
	for _, v := range eff.Values {
		if v.Source != FromDefault {
			t.Errorf("%s source = %s", v.Var.Name, v.Source)
		}
	}
}

func TestLoadPrecedenceAndProvenance(t *testing.T) {
	eff, err := Load(Sources{
		DotEnv: map[string]string{"SERVER_PORT": "9001", "SERVER_HOST": "0.0.0.0", "CREDENTIALS_DIR": "/d"},
		Env:    map[string]string{"SERVER_PORT": "9002", "MCP_TRANSPORT": "http"},
		Flags:  map[string]string{"port": "9003"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		val string
		src Source
	}{
		"SERVER_PORT":     {"9003", FromFlag},
		"SERVER_HOST":     {"0.0.0.0", FromDotEnv},
		"MCP_TRANSPORT":   {"http", FromEnv},
		"CREDENTIALS_DIR": {"/d", FromDotEnv},
		"BASE_URL":        {"http://localhost:9003", FromDefault},
	}
	for _, v := range eff.Values {
		if w, ok := want[v.Var.Name]; ok && (v.Value != w.val || v.Source != w.src) {
			t.Errorf("%s = %q from %s, want %q from %s", v.Var.Name, v.Value, v.Source, w.val, w.src)
		}
	}
}

func TestLoadAliases(t *testing.T) {
	eff, err := Load(Sources{Env: map[string]string{
		"FASTMCP_SERVER_AUTH":                      "GOOGLE",
		"FASTMCP_SERVER_AUTH_GOOGLE_CLIENT_ID":     "id.apps.googleusercontent.com",
		"FASTMCP_SERVER_AUTH_GOOGLE_CLIENT_SECRET": "GOCSPX-shhh",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !eff.Config.AuthConfigured() || eff.Config.GoogleClientSecret.Reveal() != "GOCSPX-shhh" {
		t.Fatalf("aliases not applied: %+v", eff.Config)
	}
	for _, v := range eff.Values {
		if v.Var.Name == "GOOGLE_CLIENT_SECRET" {
			if v.From != "FASTMCP_SERVER_AUTH_GOOGLE_CLIENT_SECRET" || strings.Contains(v.Value, "shhh") {
				t.Errorf("secret row = %+v", v)
			}
		}
	}
}

// TestValidationErrors covers every value Load or Validate refuses: the error names the
// variable (and the flag when a flag set it) and says what is allowed.
func TestValidationErrors(t *testing.T) {
	tests := []struct {
		name    string
		src     Sources
		wantVar string
		want    string
	}{
		{"transport", Sources{Env: map[string]string{"MCP_TRANSPORT": "sse"}}, "MCP_TRANSPORT", "stdio or http"},
		{"transport flag", Sources{Flags: map[string]string{"transport": "tcp"}}, "MCP_TRANSPORT", "--transport (MCP_TRANSPORT)"},
		{"port text", Sources{Env: map[string]string{"SERVER_PORT": "abc"}}, "SERVER_PORT", "1 to 65535"},
		{"port range", Sources{Env: map[string]string{"SERVER_PORT": "70000"}}, "SERVER_PORT", "1 to 65535"},
		{"port negative", Sources{DotEnv: map[string]string{"SERVER_PORT": "-1"}}, "SERVER_PORT", "1 to 65535"},
		{"host blank", Sources{Env: map[string]string{"SERVER_HOST": " "}}, "SERVER_HOST", "host name"},
		{"base url relative", Sources{Env: map[string]string{"BASE_URL": "localhost:8002"}}, "BASE_URL", "absolute http"},
		{"base url scheme", Sources{Env: map[string]string{"BASE_URL": "ftp://x"}}, "BASE_URL", "absolute http"},
		{"base url query", Sources{Env: map[string]string{"BASE_URL": "https://x.example?a=b"}}, "BASE_URL", "without query"},
		{"base url fragment", Sources{Env: map[string]string{"BASE_URL": "https://x.example#f"}}, "BASE_URL", "without query"},
		{"base url userinfo", Sources{Env: map[string]string{"BASE_URL": "https://u:p@x.example"}}, "BASE_URL", "absolute http"},
		{"stateless", Sources{Env: map[string]string{"MCP_STATELESS": "maybe"}}, "MCP_STATELESS", "true or false"},
		{"session timeout zero", Sources{Env: map[string]string{"SESSION_TIMEOUT_MINUTES": "0"}}, "SESSION_TIMEOUT_MINUTES", "at least 1"},
		{"session timeout text", Sources{Env: map[string]string{"SESSION_TIMEOUT_MINUTES": "1h"}}, "SESSION_TIMEOUT_MINUTES", "whole number of minutes"},
		{"lifetime", Sources{Env: map[string]string{"MAX_SESSION_LIFETIME_HOURS": "x"}}, "MAX_SESSION_LIFETIME_HOURS", "whole number of hours"},
		{"lifetime shorter than idle", Sources{Env: map[string]string{"MAX_SESSION_LIFETIME_HOURS": "1", "SESSION_TIMEOUT_MINUTES": "120"}}, "MAX_SESSION_LIFETIME_HOURS", "at least as long"},
		{"enhanced logging", Sources{Env: map[string]string{"ENHANCED_LOGGING": "loud"}}, "ENHANCED_LOGGING", "true or false"},
		{"https", Sources{Env: map[string]string{"ENABLE_HTTPS": "2"}}, "ENABLE_HTTPS", "true or false"},
		{"https without cert", Sources{Env: map[string]string{"ENABLE_HTTPS": "true"}}, "SSL_CERT_FILE", "required when ENABLE_HTTPS"},
		{"https without key", Sources{Env: map[string]string{"ENABLE_HTTPS": "true", "SSL_CERT_FILE": "c.pem"}}, "SSL_KEY_FILE", "required when ENABLE_HTTPS"},
		{"security headers", Sources{Env: map[string]string{"ENABLE_SECURITY_HEADERS": "sometimes"}}, "ENABLE_SECURITY_HEADERS", "true or false"},
		{"hsts", Sources{Env: map[string]string{"HSTS_MAX_AGE": "-5"}}, "HSTS_MAX_AGE", "0 or more"},
		{"origins", Sources{Env: map[string]string{"MCP_ALLOWED_ORIGINS": "https://ok.example,https://bad.example/path"}}, "MCP_ALLOWED_ORIGINS", "comma-separated list of origins"},
		{"max body", Sources{Env: map[string]string{"MCP_MAX_REQUEST_BYTES": "10"}}, "MCP_MAX_REQUEST_BYTES", "at least 1024"},
		{"client id without secret", Sources{Env: map[string]string{"GOOGLE_CLIENT_ID": "x"}}, "GOOGLE_CLIENT_SECRET", "set together"},
		{"secret without id", Sources{Env: map[string]string{"GOOGLE_CLIENT_SECRET": "s3cr3t-value"}}, "GOOGLE_CLIENT_ID", "set together"},
		{"storage mode", Sources{Env: map[string]string{"CREDENTIAL_STORAGE_MODE": "CLOUD"}}, "CREDENTIAL_STORAGE_MODE", "FILE_ENCRYPTED, FILE_PLAINTEXT, MEMORY_ONLY, MEMORY_WITH_BACKUP"},
		{"migration", Sources{Env: map[string]string{"CREDENTIAL_MIGRATION": "later"}}, "CREDENTIAL_MIGRATION", "true or false"},
		{"store url scheme", Sources{Env: map[string]string{"STORE_URL": "postgres://u:s3cr3t-value@db/x"}}, "STORE_URL", "redis://"},
		{"store url host", Sources{Env: map[string]string{"STORE_URL": "redis://"}}, "STORE_URL", "redis://"},
		{"encryption key short", Sources{Env: map[string]string{"AUTH_ENCRYPTION_KEY": "czNjcjN0LXZhbHVl"}}, "AUTH_ENCRYPTION_KEY", "exactly 32"},
		{"encryption key not base64", Sources{Env: map[string]string{"AUTH_ENCRYPTION_KEY": "s3cr3t-value!!"}}, "AUTH_ENCRYPTION_KEY", "exactly 32"},
		{"issuer http", Sources{Env: map[string]string{"GOOGLE_OAUTH_ISSUER": "http://idp.example.com"}}, "GOOGLE_OAUTH_ISSUER", "https issuer"},
		{"redirect", Sources{Env: map[string]string{"OAUTH_REDIRECT_URI": "/oauth2callback"}}, "OAUTH_REDIRECT_URI", "absolute"},
		{"api base", Sources{Env: map[string]string{"GOOGLE_API_BASE_URL": "sandbox"}}, "GOOGLE_API_BASE_URL", "absolute"},
		{"caching", Sources{Env: map[string]string{"SERVICE_CACHING": "sometimes"}}, "SERVICE_CACHING", "true or false"},
		{"legacy", Sources{Env: map[string]string{"LEGACY_COMPAT_MODE": "2"}}, "LEGACY_COMPAT_MODE", "true or false"},
		{"dev tokens value", Sources{Env: map[string]string{"ENABLE_DEV_TOKENS": "always"}}, "ENABLE_DEV_TOKENS", "force"},
		{"dev tokens public", Sources{Env: map[string]string{"ENABLE_DEV_TOKENS": "true", "BASE_URL": "https://mcp.example.com"}}, "ENABLE_DEV_TOKENS", "not a loopback"},
		{"registrations", Sources{Env: map[string]string{"RATE_LIMIT_REGISTRATIONS_PER_MINUTE": "0"}}, "RATE_LIMIT_REGISTRATIONS_PER_MINUTE", "at least 1"},
		{"id token accounts", Sources{Env: map[string]string{"ID_TOKEN_ACCOUNTS": "robot"}}, "ID_TOKEN_ACCOUNTS", "caller@example.com="},
		{"sandbox", Sources{Flags: map[string]string{"sandbox": "maybe"}}, "MCP_SANDBOX", "true or false"},
		{"tier", Sources{Flags: map[string]string{"tool-tier": "all"}}, "MCP_TOOL_TIER", "core, extended or complete"},
		{"tools", Sources{Env: map[string]string{"MCP_TOOLS": "drive,fax"}}, "MCP_TOOLS", "comma-separated list of drive"},
		{"read only", Sources{Env: map[string]string{"MCP_READ_ONLY": "yes please"}}, "MCP_READ_ONLY", "true or false"},
		{"transfer max", Sources{Env: map[string]string{"TRANSFER_MAX_BYTES": "10"}}, "TRANSFER_MAX_BYTES", "at least 1048576"},
		{"fastmcp auth", Sources{Env: map[string]string{"FASTMCP_SERVER_AUTH": "GITHUB"}}, "FASTMCP_SERVER_AUTH", "GOOGLE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.src)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Load error = %v, want *config.Error", err)
			}
			if ce.Var != tt.wantVar {
				t.Errorf("error names %s, want %s", ce.Var, tt.wantVar)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.wantVar) || !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q and %q", msg, tt.wantVar, tt.want)
			}
			if strings.Count(msg, ". ") > 0 || strings.Contains(msg, "\n") {
				t.Errorf("error is not one sentence: %q", msg)
			}
			if strings.Contains(msg, "s3cr3t-value") {
				t.Errorf("error leaks a secret: %q", msg)
			}
		})
	}
}

func TestParseDotEnv(t *testing.T) {
	in := "\ufeff# comment\n\nexport A=1\nB = two words # trailing\nC=\"x\\ny \\\"q\\\"\"\nD='lit $x \\n'\nE=\nF=a#b\n"
	got, err := ParseDotEnv([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"A": "1", "B": "two words", "C": "x\ny \"q\"", "D": "lit $x \\n", "E": "", "F": "a#b"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for _, bad := range []string{"NOEQUALS\n", "1BAD=x\n", "A=\"open\n", "A='open\n", "A-B=1\n"} {
		if _, err := ParseDotEnv([]byte("OK=1\n" + bad)); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("ParseDotEnv(%q) error = %v, want one naming line 2", bad, err)
		}
	}
	if _, err := ParseDotEnv([]byte("SECRET=\"hunter2")); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error must not echo the value: %v", err)
	}
}

func TestStorageSettings(t *testing.T) {
	eff, err := Load(Sources{Env: map[string]string{"CREDENTIAL_STORAGE_MODE": "memory_with_backup",
		"STORE_URL": "redis://user:pa55word@127.0.0.1:6379/2", "AUTH_ENCRYPTION_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}})
	if err != nil {
		t.Fatal(err)
	}
	if eff.Config.CredentialMode != "MEMORY_WITH_BACKUP" || eff.Config.StoreURL.Reveal() == "" {
		t.Errorf("config = %+v", eff.Config)
	}
	for _, v := range eff.Values {
		if strings.Contains(v.Value, "pa55word") || strings.Contains(v.Value, "AAECAwQF") {
			t.Errorf("%s shows a secret: %q", v.Var.Name, v.Value)
		}
	}
}

func TestSummaryHasNoSecrets(t *testing.T) {
	eff, err := Load(Sources{Env: map[string]string{"GOOGLE_CLIENT_ID": "cid", "GOOGLE_CLIENT_SECRET": "GOCSPX-topsecret", "MCP_TRANSPORT": "http"}})
	if err != nil {
		t.Fatal(err)
	}
	s := eff.Config.Summarize()
	if !s.AuthConfigured || s.BaseURL == "" {
		t.Errorf("summary = %+v", s)
	}
	for _, v := range eff.Values {
		if strings.Contains(v.Value, "topsecret") {
			t.Errorf("%s shows the secret", v.Var.Name)
		}
	}
}
