package config

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gwmcp/gwmcp/internal/secret"
)

// Source says where a value came from.
type Source string

// The places a value can come from, weakest first.
const (
	FromDefault Source = "default"
	FromDotEnv  Source = ".env"
	FromEnv     Source = "environment"
	FromFlag    Source = "flag"
)

// Sources are the raw inputs of Load. cmd/gwmcp fills them: Env from the process environment,
// DotEnv from the .env file (see ParseDotEnv), Flags with only the flags the person set, keyed by
// flag name without dashes.
type Sources struct {
	Env    map[string]string
	DotEnv map[string]string
	Flags  map[string]string
}

// Var describes one setting: its environment name, its flag (if any), what it means, whether
// its value is secret, and how it is applied to a Config.
type Var struct {
	Name    string
	Aliases []string // older names accepted when Name is unset
	Flag    string
	Secret  bool
	Doc     string
	set     func(c *Config, v string) error
	get     func(c Config) string
}

// Value is one row of the effective configuration.
type Value struct {
	Var    Var
	Value  string // redacted for secrets
	Source Source
	// From names the variable the value was read from when it was an alias.
	From string
}

// Effective is the configuration with the origin of every value.
type Effective struct {
	Config Config
	Values []Value
}

// Vars returns the table of settings in display order.
func Vars() []Var {
	return []Var{
		{Name: "MCP_TRANSPORT", Flag: "transport", Doc: "stdio or http",
			set: func(c *Config, v string) error {
				switch strings.ToLower(v) {
				case "stdio":
					c.Transport = TransportStdio
				case "http", "streamable-http", "streamable_http":
					c.Transport = TransportHTTP
				default:
					return errAllowed("stdio or http")
				}
				return nil
			},
			get: func(c Config) string { return string(c.Transport) }},
		{Name: "SERVER_HOST", Flag: "host", Doc: "address the HTTP transport listens on",
			set: func(c *Config, v string) error { c.Host = v; return nil },
			get: func(c Config) string { return c.Host }},
		{Name: "SERVER_PORT", Flag: "port", Doc: "port of the HTTP transport (0 picks a free one)",
			set: func(c *Config, v string) error {
				return setInt(&c.Port, v, 0, 65535, "a port number from 1 to 65535 (0 picks a free port)")
			},
			get: func(c Config) string { return strconv.Itoa(c.Port) }},
		{Name: "BASE_URL", Doc: "public URL of the server; the MCP resource is BASE_URL/mcp (default http://localhost:SERVER_PORT)",
			set: func(c *Config, v string) error { c.BaseURL = strings.TrimRight(v, "/"); return nil },
			get: func(c Config) string { return c.BaseURL }},
		{Name: "MCP_STATELESS", Flag: "stateless", Doc: "serve Streamable HTTP without sessions (for replicas)",
			set: func(c *Config, v string) error { return setBool(&c.Stateless, v) },
			get: func(c Config) string { return strconv.FormatBool(c.Stateless) }},
		{Name: "CREDENTIALS_DIR", Doc: "directory of credentials, keys and the embedded store",
			set: func(c *Config, v string) error { c.CredentialsDir = v; return nil },
			get: func(c Config) string { return c.CredentialsDir }},
		{Name: "SESSION_TIMEOUT_MINUTES", Doc: "idle time after which an MCP session ends",
			set: func(c *Config, v string) error {
				return setDuration(&c.SessionTimeout, v, time.Minute, "a whole number of minutes of at least 1")
			},
			get: func(c Config) string { return strconv.Itoa(int(c.SessionTimeout / time.Minute)) }},
		{Name: "MAX_SESSION_LIFETIME_HOURS", Doc: "absolute lifetime of an MCP session",
			set: func(c *Config, v string) error {
				return setDuration(&c.MaxSessionLifetime, v, time.Hour, "a whole number of hours of at least 1")
			},
			get: func(c Config) string { return strconv.Itoa(int(c.MaxSessionLifetime / time.Hour)) }},
		{Name: "ENHANCED_LOGGING", Doc: "debug-level logs",
			set: func(c *Config, v string) error { return setBool(&c.EnhancedLogging, v) },
			get: func(c Config) string { return strconv.FormatBool(c.EnhancedLogging) }},
		{Name: "ENABLE_HTTPS", Doc: "serve HTTPS with SSL_CERT_FILE and SSL_KEY_FILE",
			set: func(c *Config, v string) error { return setBool(&c.EnableHTTPS, v) },
			get: func(c Config) string { return strconv.FormatBool(c.EnableHTTPS) }},
		{Name: "SSL_CERT_FILE", Doc: "PEM certificate chain for HTTPS",
			set: func(c *Config, v string) error { c.SSLCertFile = v; return nil },
			get: func(c Config) string { return c.SSLCertFile }},
		{Name: "SSL_KEY_FILE", Doc: "PEM private key for HTTPS",
			set: func(c *Config, v string) error { c.SSLKeyFile = v; return nil },
			get: func(c Config) string { return c.SSLKeyFile }},
		{Name: "ENABLE_SECURITY_HEADERS", Doc: "send CSP, HSTS (on HTTPS), nosniff and frame headers",
			set: func(c *Config, v string) error { return setBool(&c.SecurityHeaders, v) },
			get: func(c Config) string { return strconv.FormatBool(c.SecurityHeaders) }},
		{Name: "CSP_POLICY", Doc: "Content-Security-Policy of gwmcp's pages",
			set: func(c *Config, v string) error { c.CSPPolicy = v; return nil },
			get: func(c Config) string { return c.CSPPolicy }},
		{Name: "HSTS_MAX_AGE", Doc: "Strict-Transport-Security max-age in seconds (HTTPS only)",
			set: func(c *Config, v string) error {
				return setInt(&c.HSTSMaxAge, v, 0, 1<<31-1, "a number of seconds of 0 or more")
			},
			get: func(c Config) string { return strconv.Itoa(c.HSTSMaxAge) }},
		{Name: "MCP_ALLOWED_ORIGINS", Doc: "extra browser origins allowed to call /mcp, comma-separated",
			set: func(c *Config, v string) error {
				c.AllowedOrigins = nil
				for _, o := range strings.Split(v, ",") {
					if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
						c.AllowedOrigins = append(c.AllowedOrigins, o)
					}
				}
				return nil
			},
			get: func(c Config) string { return strings.Join(c.AllowedOrigins, ",") }},
		{Name: "MCP_MAX_REQUEST_BYTES", Doc: "largest request body accepted",
			set: func(c *Config, v string) error {
				n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				if err != nil || n < 1024 {
					return errAllowed("a number of bytes of at least 1024")
				}
				c.MaxRequestBytes = n
				return nil
			},
			get: func(c Config) string { return strconv.FormatInt(c.MaxRequestBytes, 10) }},
		{Name: "GOOGLE_CLIENT_ID", Aliases: []string{"FASTMCP_SERVER_AUTH_GOOGLE_CLIENT_ID"}, Doc: "OAuth client id of your Google Cloud project",
			set: func(c *Config, v string) error { c.GoogleClientID = v; return nil },
			get: func(c Config) string { return c.GoogleClientID }},
		{Name: "GOOGLE_CLIENT_SECRET", Aliases: []string{"FASTMCP_SERVER_AUTH_GOOGLE_CLIENT_SECRET"}, Secret: true, Doc: "OAuth client secret of that client",
			set: func(c *Config, v string) error { c.GoogleClientSecret = secret.New(v); return nil },
			get: func(c Config) string { return c.GoogleClientSecret.String() }},
		{Name: "GOOGLE_CLIENT_SECRETS_FILE", Doc: "client_secret.json downloaded from Google Cloud (instead of id and secret)",
			set: func(c *Config, v string) error { c.GoogleClientSecretsFile = v; return nil },
			get: func(c Config) string { return c.GoogleClientSecretsFile }},
		{Name: "CREDENTIAL_STORAGE_MODE", Doc: "FILE_ENCRYPTED, FILE_PLAINTEXT, MEMORY_ONLY or MEMORY_WITH_BACKUP",
			set: func(c *Config, v string) error { c.CredentialMode = strings.ToUpper(strings.TrimSpace(v)); return nil },
			get: func(c Config) string { return c.CredentialMode }},
		{Name: "CREDENTIAL_MIGRATION", Doc: "at start, move credentials kept in another mode to CREDENTIAL_STORAGE_MODE",
			set: func(c *Config, v string) error { return setBool(&c.CredentialMigration, v) },
			get: func(c Config) string { return strconv.FormatBool(c.CredentialMigration) }},
		{Name: "AUTH_ENCRYPTION_KEY", Secret: true, Doc: "base64 of a 32-byte key, instead of CREDENTIALS_DIR/.auth_encryption_key",
			set: func(c *Config, v string) error { c.AuthEncryptionKey = secret.New(v); return nil },
			get: func(c Config) string { return c.AuthEncryptionKey.String() }},
		{Name: "STORE_URL", Doc: "empty: embedded store under CREDENTIALS_DIR; redis://host:port/db: shared store for replicas",
			set: func(c *Config, v string) error { c.StoreURL = secret.New(strings.TrimSpace(v)); return nil },
			get: func(c Config) string { return RedactURL(c.StoreURL.Reveal()) }},
		{Name: "GOOGLE_OAUTH_ISSUER", Doc: "the upstream OpenID provider; endpoints come from its discovery document",
			set: func(c *Config, v string) error {
				c.GoogleIssuer = strings.TrimRight(strings.TrimSpace(v), "/")
				return nil
			},
			get: func(c Config) string { return c.GoogleIssuer }},
		{Name: "OAUTH_REDIRECT_URI", Doc: "gwmcp's Google callback (default BASE_URL/oauth2callback); register it in your Google client",
			set: func(c *Config, v string) error { c.RedirectURI = strings.TrimSpace(v); return nil },
			get: func(c Config) string { return c.RedirectURL() }},
		{Name: "GOOGLE_API_BASE_URL", Doc: "send every Google API call to this host instead of Google (tests, the sandbox)",
			set: func(c *Config, v string) error {
				c.GoogleAPIBaseURL = strings.TrimRight(strings.TrimSpace(v), "/")
				return nil
			},
			get: func(c Config) string { return c.GoogleAPIBaseURL }},
		{Name: "SERVICE_CACHING", Doc: "cache Google API clients per account (30 min)",
			set: func(c *Config, v string) error { return setBool(&c.ServiceCaching, v) },
			get: func(c Config) string { return strconv.FormatBool(c.ServiceCaching) }},
		{Name: "LEGACY_COMPAT_MODE", Doc: "accept the Python server's legacy scope and group names",
			set: func(c *Config, v string) error { return setBool(&c.LegacyCompatMode, v) },
			get: func(c Config) string { return strconv.FormatBool(c.LegacyCompatMode) }},
		{Name: "ENABLE_DEV_TOKENS", Doc: "accept `gwmcp token dev` tokens: false, true (loopback BASE_URL only) or force",
			set: func(c *Config, v string) error {
				switch strings.ToLower(strings.TrimSpace(v)) {
				case "false", "0", "no", "off", "":
					c.DevTokens = ""
				case "true", "1", "yes", "on":
					c.DevTokens = "true"
				case "force":
					c.DevTokens = "force"
				default:
					return errAllowed("false, true (loopback BASE_URL only) or force")
				}
				return nil
			},
			get: func(c Config) string {
				if c.DevTokens == "" {
					return "false"
				}
				return c.DevTokens
			}},
		{Name: "RATE_LIMIT_REGISTRATIONS_PER_MINUTE", Doc: "dynamic client registrations allowed per client address per minute",
			set: func(c *Config, v string) error {
				return setInt(&c.RegistrationsPerMinute, v, 1, 1_000_000, "a whole number of at least 1")
			},
			get: func(c Config) string { return strconv.Itoa(c.RegistrationsPerMinute) }},
		{Name: "ID_TOKEN_ACCOUNTS", Doc: "flow 4: callers (Google-signed ID tokens) and the accounts they may act as: caller=acct1|acct2,caller2=acct3",
			set: func(c *Config, v string) error {
				c.IDTokenAccounts = map[string][]string{}
				for _, entry := range strings.Split(v, ",") {
					if strings.TrimSpace(entry) == "" {
						continue
					}
					caller, accts, ok := strings.Cut(entry, "=")
					if !ok || !strings.Contains(caller, "@") || strings.TrimSpace(accts) == "" {
						return errAllowed("caller@example.com=account@example.com|other@example.com, comma-separated")
					}
					for _, a := range strings.Split(accts, "|") {
						if a = strings.ToLower(strings.TrimSpace(a)); a != "" {
							c.IDTokenAccounts[strings.ToLower(strings.TrimSpace(caller))] = append(c.IDTokenAccounts[strings.ToLower(strings.TrimSpace(caller))], a)
						}
					}
				}
				return nil
			},
			get: func(c Config) string {
				var parts []string
				for k, v := range c.IDTokenAccounts {
					parts = append(parts, k+"="+strings.Join(v, "|"))
				}
				slices.Sort(parts)
				return strings.Join(parts, ",")
			}},
		{Name: "MCP_SANDBOX", Flag: "sandbox", Doc: "run against the in-process fake Google (no Google project needed)",
			set: func(c *Config, v string) error { return setBool(&c.Sandbox, v) },
			get: func(c Config) string { return strconv.FormatBool(c.Sandbox) }},
		{Name: "MCP_TOOL_TIER", Flag: "tool-tier", Doc: "core (about 20 tools), extended or complete",
			set: func(c *Config, v string) error { c.ToolTier = strings.ToLower(strings.TrimSpace(v)); return nil },
			get: func(c Config) string { return c.ToolTier }},
		{Name: "MCP_TOOLS", Flag: "tools", Doc: "only these Google services' tools, comma-separated (drive,gmail,calendar,...)",
			set: func(c *Config, v string) error {
				c.Services = nil
				for _, s := range strings.Split(v, ",") {
					if s = strings.ToLower(strings.TrimSpace(s)); s != "" && !slices.Contains(c.Services, s) {
						c.Services = append(c.Services, s)
					}
				}
				return nil
			},
			get: func(c Config) string { return strings.Join(c.Services, ",") }},
		{Name: "MCP_READ_ONLY", Flag: "read-only", Doc: "offer read tools only and request read scopes only",
			set: func(c *Config, v string) error { return setBool(&c.ReadOnly, v) },
			get: func(c Config) string { return strconv.FormatBool(c.ReadOnly) }},
		{Name: "TRANSFER_DIR", Doc: "stdio: where tools read files to upload and write downloads",
			set: func(c *Config, v string) error { c.TransferDir = v; return nil },
			get: func(c Config) string { return c.TransferDir }},
		{Name: "TRANSFER_MAX_BYTES", Doc: "largest upload or download streamed through gwmcp",
			set: func(c *Config, v string) error {
				n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				if err != nil || n < 1<<20 {
					return errAllowed("a number of bytes of at least 1048576")
				}
				c.TransferMaxBytes = n
				return nil
			},
			get: func(c Config) string { return strconv.FormatInt(c.TransferMaxBytes, 10) }},
		{Name: "FASTMCP_SERVER_AUTH", Doc: "GOOGLE to read the FASTMCP_SERVER_AUTH_GOOGLE_* aliases (compatibility)",
			set: func(c *Config, v string) error {
				if v != "" && !strings.EqualFold(v, "GOOGLE") {
					return errAllowed("GOOGLE, or leave it unset")
				}
				return nil
			},
			get: func(c Config) string { return "" }},
	}
}

type allowedError string

func (e allowedError) Error() string { return string(e) }

func errAllowed(what string) error { return allowedError(what) }

// Load builds the effective configuration: defaults, then .env, then the environment, then
// flags. It validates the result; the error names the variable (and flag) and what is allowed.
func Load(src Sources) (Effective, error) {
	cfg := Defaults()
	vars := Vars()
	eff := Effective{Values: make([]Value, 0, len(vars))}
	baseURLSet := false
	for _, v := range vars {
		raw, source, from, ok := lookup(v, src)
		if !ok {
			eff.Values = append(eff.Values, Value{Var: v, Source: FromDefault})
			continue
		}
		if err := v.set(&cfg, raw); err != nil {
			e := &Error{Var: v.Name, Value: raw, Allowed: err.Error()}
			if from != v.Name {
				e.Var = from
			}
			if source == FromFlag {
				e.Flag = v.Flag
			}
			if v.Secret {
				e.Value = secret.Redacted
			}
			var ae allowedError
			if !errors.As(err, &ae) {
				e.Allowed = "a valid value (" + err.Error() + ")"
			}
			return Effective{}, e
		}
		if v.Name == "BASE_URL" {
			baseURLSet = true
		}
		eff.Values = append(eff.Values, Value{Var: v, Source: source, From: from})
	}
	if !baseURLSet {
		cfg.BaseURL = "http://localhost:" + strconv.Itoa(cfg.Port)
	}
	for i := range eff.Values {
		eff.Values[i].Value = eff.Values[i].Var.get(cfg)
	}
	if err := cfg.Validate(); err != nil {
		var ce *Error
		if errors.As(err, &ce) {
			for _, v := range eff.Values {
				if v.Var.Name == ce.Var && v.Source == FromFlag {
					ce.Flag = v.Var.Flag
				}
			}
		}
		return Effective{}, err
	}
	eff.Config = cfg
	return eff, nil
}

// lookup finds a variable's raw value: flag, then environment, then .env, each trying the
// variable's name before its aliases. Empty environment values count as unset.
func lookup(v Var, src Sources) (raw string, source Source, from string, ok bool) {
	if v.Flag != "" {
		if val, set := src.Flags[v.Flag]; set {
			return val, FromFlag, v.Name, true
		}
	}
	names := append([]string{v.Name}, v.Aliases...)
	for _, layer := range []struct {
		m map[string]string
		s Source
	}{{src.Env, FromEnv}, {src.DotEnv, FromDotEnv}} {
		for _, n := range names {
			if val := layer.m[n]; val != "" {
				return val, layer.s, n, true
			}
		}
	}
	return "", "", "", false
}

func setBool(dst *bool, v string) error {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		*dst = true
	case "0", "false", "no", "off":
		*dst = false
	default:
		return errAllowed("true or false")
	}
	return nil
}

func setInt(dst *int, v string, lo, hi int, allowed string) error {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		return errAllowed(allowed)
	}
	*dst = n
	return nil
}

func setDuration(dst *time.Duration, v string, unit time.Duration, allowed string) error {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 || n > 1_000_000 {
		return errAllowed(allowed)
	}
	*dst = time.Duration(n) * unit
	return nil
}
