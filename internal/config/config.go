// Package config owns gwmcp's configuration: the plain Config value, its defaults, the table of
// environment variables and flags that set it (with where each value came from), the .env
// parser and validation. It never reads the process environment itself: cmd/gwmcp hands it the
// environment, the .env file's contents and the flags that were set.
package config

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gwmcp/gwmcp/internal/secret"
)

// Transport is how MCP messages reach the server.
type Transport string

// The transports gwmcp serves.
const (
	TransportStdio Transport = "stdio"
	TransportHTTP  Transport = "http"
)

// Config is the effective configuration. It is plain data: build it with Defaults or Load,
// check it with Validate.
type Config struct {
	Transport Transport
	Host      string
	Port      int
	// BaseURL is the public URL of the server, without a trailing slash; the MCP resource is
	// BaseURL + "/mcp".
	BaseURL   string
	Stateless bool

	CredentialsDir     string
	SessionTimeout     time.Duration
	MaxSessionLifetime time.Duration
	EnhancedLogging    bool

	EnableHTTPS     bool
	SSLCertFile     string
	SSLKeyFile      string
	SecurityHeaders bool
	CSPPolicy       string
	HSTSMaxAge      int

	// AllowedOrigins are browser origins, besides BaseURL's own (and loopback origins when
	// the server itself is on loopback), that may call /mcp.
	AllowedOrigins []string
	// MaxRequestBytes bounds every request body.
	MaxRequestBytes int64

	GoogleClientID          string
	GoogleClientSecret      secret.String
	GoogleClientSecretsFile string

	// CredentialMode is one of StorageModes.
	CredentialMode string
	// CredentialMigration moves credentials kept in another mode to CredentialMode at start.
	CredentialMigration bool
	// AuthEncryptionKey, when set, replaces the key file (base64 of 32 bytes).
	AuthEncryptionKey secret.String
	// StoreURL selects the key-value store: empty for the embedded store under
	// CredentialsDir, redis:// or rediss:// for a shared Redis.
	StoreURL secret.String

	// GoogleIssuer is the upstream OpenID provider (Google by default).
	GoogleIssuer string
	// RedirectURI is gwmcp's callback registered at Google (default BASE_URL/oauth2callback).
	RedirectURI string
	// GoogleAPIBaseURL points every Google API at another host (the sandbox); empty is Google.
	GoogleAPIBaseURL string
	ServiceCaching   bool
	LegacyCompatMode bool
	// DevTokens is "" (off), "true" (on, loopback BASE_URL only) or "force".
	DevTokens string
	// RegistrationsPerMinute limits dynamic client registrations per client address.
	RegistrationsPerMinute int
	// IDTokenAccounts is flow 4's allow-list: callers' ID-token emails to the accounts they
	// may act as; empty turns flow 4 off.
	IDTokenAccounts map[string][]string

	// Sandbox runs gwmcp against the in-process fake Google.
	Sandbox bool
	// ToolTier is core, extended or complete; Services limits tools to some Google services;
	// ReadOnly offers read tools only and requests read scopes only.
	ToolTier string
	Services []string
	ReadOnly bool
	// TransferDir is where stdio tools read and write files; TransferMaxBytes caps uploads and
	// downloads through gwmcp.
	TransferDir      string
	TransferMaxBytes int64
}

// ToolServices are the values MCP_TOOLS accepts.
var ToolServices = []string{"drive", "gmail", "calendar", "docs", "sheets", "slides", "forms", "chat", "people", "tasks", "photos"}

// StorageModes are the values CREDENTIAL_STORAGE_MODE accepts.
var StorageModes = []string{"FILE_ENCRYPTED", "FILE_PLAINTEXT", "MEMORY_ONLY", "MEMORY_WITH_BACKUP"}

// Defaults returns the configuration used when nothing is set.
func Defaults() Config {
	return Config{
		Transport:              TransportStdio,
		Host:                   "127.0.0.1",
		Port:                   8002,
		BaseURL:                "http://localhost:8002",
		CredentialsDir:         "./credentials",
		SessionTimeout:         60 * time.Minute,
		MaxSessionLifetime:     24 * time.Hour,
		SecurityHeaders:        true,
		CSPPolicy:              DefaultCSP,
		HSTSMaxAge:             31536000,
		MaxRequestBytes:        4 << 20,
		CredentialMode:         "FILE_ENCRYPTED",
		GoogleIssuer:           "https://accounts.google.com",
		ServiceCaching:         true,
		RegistrationsPerMinute: 20,
		ToolTier:               "core",
		TransferDir:            "./gwmcp-files",
		TransferMaxBytes:       512 << 20,
	}
}

// DefaultCSP is the Content-Security-Policy sent with gwmcp's own pages.
const DefaultCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// MCPResource is the canonical MCP resource identifier, BASE_URL/mcp.
func (c Config) MCPResource() string { return c.BaseURL + "/mcp" }

// Addr is the host:port the HTTP transport listens on.
func (c Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// AuthConfigured reports whether a Google OAuth client is configured.
func (c Config) AuthConfigured() bool {
	return (c.GoogleClientID != "" && !c.GoogleClientSecret.IsZero()) || c.GoogleClientSecretsFile != ""
}

// IsLoopbackHost reports whether host (a name or an IP, without port) is a loopback address.
func IsLoopbackHost(host string) bool {
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Validate checks the whole configuration, including rules that span several values. Its error
// is one sentence naming the variable and what is allowed.
func (c Config) Validate() error {
	switch c.Transport {
	case TransportStdio, TransportHTTP:
	default:
		return &Error{Var: "MCP_TRANSPORT", Value: string(c.Transport), Allowed: "stdio or http"}
	}
	if c.Port < 0 || c.Port > 65535 {
		return &Error{Var: "SERVER_PORT", Value: strconv.Itoa(c.Port), Allowed: "a port number from 1 to 65535 (0 picks a free port)"}
	}
	if strings.TrimSpace(c.Host) == "" {
		return &Error{Var: "SERVER_HOST", Value: c.Host, Allowed: "a host name or IP address to listen on"}
	}
	if err := validateBaseURL(c.BaseURL); err != nil {
		return err
	}
	if c.SessionTimeout <= 0 {
		return &Error{Var: "SESSION_TIMEOUT_MINUTES", Value: c.SessionTimeout.String(), Allowed: "a whole number of minutes of at least 1"}
	}
	if c.MaxSessionLifetime < c.SessionTimeout {
		return &Error{Var: "MAX_SESSION_LIFETIME_HOURS", Value: c.MaxSessionLifetime.String(), Allowed: "a whole number of hours, at least as long as SESSION_TIMEOUT_MINUTES"}
	}
	if c.EnableHTTPS && (c.SSLCertFile == "" || c.SSLKeyFile == "") {
		v := "SSL_CERT_FILE"
		if c.SSLCertFile != "" {
			v = "SSL_KEY_FILE"
		}
		return &Error{Var: v, Value: "", Allowed: "a PEM file path, required when ENABLE_HTTPS=true"}
	}
	if c.HSTSMaxAge < 0 {
		return &Error{Var: "HSTS_MAX_AGE", Value: strconv.Itoa(c.HSTSMaxAge), Allowed: "a number of seconds of 0 or more"}
	}
	for _, o := range c.AllowedOrigins {
		if err := validateOrigin(o); err != nil {
			return &Error{Var: "MCP_ALLOWED_ORIGINS", Value: o, Allowed: "a comma-separated list of origins such as https://app.example.com (scheme, host and optional port; no path)"}
		}
	}
	if c.MaxRequestBytes < 1024 {
		return &Error{Var: "MCP_MAX_REQUEST_BYTES", Value: strconv.FormatInt(c.MaxRequestBytes, 10), Allowed: "a number of bytes of at least 1024"}
	}
	if !slices.Contains(StorageModes, c.CredentialMode) {
		return &Error{Var: "CREDENTIAL_STORAGE_MODE", Value: c.CredentialMode, Allowed: strings.Join(StorageModes, ", ")}
	}
	if err := validateStoreURL(c.StoreURL.Reveal()); err != nil {
		return err
	}
	if k := c.AuthEncryptionKey.Reveal(); k != "" && !isBase64Key(k) {
		return &Error{Var: "AUTH_ENCRYPTION_KEY", Value: secret.Redacted, Allowed: "the base64 encoding of exactly 32 random bytes (for example: openssl rand -base64 32)"}
	}
	if err := validateIssuer(c.GoogleIssuer); err != nil {
		return err
	}
	if c.RedirectURI != "" && validateBaseURL(c.RedirectURI) != nil {
		return &Error{Var: "OAUTH_REDIRECT_URI", Value: c.RedirectURI, Allowed: "an absolute http(s) URL, normally BASE_URL/oauth2callback"}
	}
	if c.GoogleAPIBaseURL != "" && validateBaseURL(c.GoogleAPIBaseURL) != nil {
		return &Error{Var: "GOOGLE_API_BASE_URL", Value: c.GoogleAPIBaseURL, Allowed: "an absolute http(s) URL of a host serving Google's API paths, or unset for Google"}
	}
	switch c.DevTokens {
	case "", "true", "force":
	default:
		return &Error{Var: "ENABLE_DEV_TOKENS", Value: c.DevTokens, Allowed: "false, true (loopback BASE_URL only) or force"}
	}
	if c.DevTokens == "true" && !baseIsLoopback(c.BaseURL) {
		return &Error{Var: "ENABLE_DEV_TOKENS", Value: c.DevTokens, Allowed: "false when BASE_URL is not a loopback address (development tokens are for local work; set force to accept the risk)"}
	}
	if c.RegistrationsPerMinute < 1 {
		return &Error{Var: "RATE_LIMIT_REGISTRATIONS_PER_MINUTE", Value: strconv.Itoa(c.RegistrationsPerMinute), Allowed: "a whole number of at least 1"}
	}
	switch c.ToolTier {
	case "core", "extended", "complete":
	default:
		return &Error{Var: "MCP_TOOL_TIER", Value: c.ToolTier, Allowed: "core, extended or complete"}
	}
	for _, s := range c.Services {
		if !slices.Contains(ToolServices, s) {
			return &Error{Var: "MCP_TOOLS", Value: strings.Join(c.Services, ","), Allowed: "a comma-separated list of " + strings.Join(ToolServices, ", ")}
		}
	}
	if c.TransferMaxBytes < 1<<20 {
		return &Error{Var: "TRANSFER_MAX_BYTES", Value: strconv.FormatInt(c.TransferMaxBytes, 10), Allowed: "a number of bytes of at least 1048576"}
	}
	if (c.GoogleClientID == "") != c.GoogleClientSecret.IsZero() && c.GoogleClientSecretsFile == "" {
		missing := "GOOGLE_CLIENT_SECRET"
		if c.GoogleClientID == "" {
			missing = "GOOGLE_CLIENT_ID"
		}
		return &Error{Var: missing, Value: "", Allowed: "set together with its pair (GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET), or use GOOGLE_CLIENT_SECRETS_FILE"}
	}
	return nil
}

func validateBaseURL(raw string) error {
	bad := &Error{Var: "BASE_URL", Value: raw, Allowed: "an absolute http:// or https:// URL such as http://localhost:8002, without query or fragment"}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.HasSuffix(raw, "#") || strings.HasSuffix(raw, "?") {
		return bad
	}
	return nil
}

func validateIssuer(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || (u.Scheme != "https" && !(u.Scheme == "http" && IsLoopbackHost(u.Hostname()))) {
		return &Error{Var: "GOOGLE_OAUTH_ISSUER", Value: raw, Allowed: "the https issuer URL of an OpenID provider (http only on loopback), such as https://accounts.google.com"}
	}
	return nil
}

func baseIsLoopback(base string) bool {
	u, err := url.Parse(base)
	return err == nil && IsLoopbackHost(u.Hostname())
}

// RedirectURL is gwmcp's Google callback.
func (c Config) RedirectURL() string {
	if c.RedirectURI != "" {
		return c.RedirectURI
	}
	return c.BaseURL + "/oauth2callback"
}

func validateStoreURL(raw string) error {
	if raw == "" {
		return nil
	}
	bad := &Error{Var: "STORE_URL", Value: RedactURL(raw), Allowed: "empty for the embedded store, or redis://[user:password@]host:port/db (rediss:// for TLS)"}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return bad
	}
	return nil
}

// RedactURL hides the password of a URL for display; an unparsable URL is hidden whole.
func RedactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return secret.Redacted
	}
	return u.Redacted()
}

func isBase64Key(v string) bool {
	v = strings.TrimSpace(v)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(v); err == nil && len(b) == 32 {
			return true
		}
	}
	return false
}

func validateOrigin(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("bad origin %q", raw)
	}
	return nil
}

// Error is a configuration value that is not allowed. Its message is one sentence naming the
// variable and what is allowed.
type Error struct {
	Var     string // environment variable name
	Flag    string // flag name, when the value came from a flag
	Value   string // the offending value (never a secret's value)
	Allowed string
}

func (e *Error) Error() string {
	name := e.Var
	if e.Flag != "" {
		name = "--" + e.Flag + " (" + e.Var + ")"
	}
	if e.Value == "" {
		return fmt.Sprintf("%s is missing or empty: use %s", name, e.Allowed)
	}
	return fmt.Sprintf("%s=%q is not allowed: use %s", name, e.Value, e.Allowed)
}
