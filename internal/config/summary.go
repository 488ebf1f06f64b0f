package config

// Summary is the part of the configuration that is safe to show a model or a client: no
// secret, no client id, no file path beyond the credentials directory.
type Summary struct {
	Transport             string `json:"transport" jsonschema:"stdio or http"`
	BaseURL               string `json:"baseUrl,omitempty" jsonschema:"public URL of the server (http transport)"`
	Stateless             bool   `json:"stateless" jsonschema:"whether Streamable HTTP runs without sessions"`
	AuthConfigured        bool   `json:"authConfigured" jsonschema:"whether a Google OAuth client is configured"`
	HTTPS                 bool   `json:"https" jsonschema:"whether the server terminates TLS itself"`
	CredentialsDir        string `json:"credentialsDir" jsonschema:"where credentials are kept"`
	SessionTimeoutMinutes int    `json:"sessionTimeoutMinutes" jsonschema:"idle timeout of MCP sessions"`
	EnhancedLogging       bool   `json:"enhancedLogging" jsonschema:"whether debug logging is on"`
}

// Summarize returns the safe summary of c.
func (c Config) Summarize() Summary {
	s := Summary{
		Transport:             string(c.Transport),
		Stateless:             c.Stateless,
		AuthConfigured:        c.AuthConfigured(),
		HTTPS:                 c.EnableHTTPS,
		CredentialsDir:        c.CredentialsDir,
		SessionTimeoutMinutes: int(c.SessionTimeout.Minutes()),
		EnhancedLogging:       c.EnhancedLogging,
	}
	if c.Transport == TransportHTTP {
		s.BaseURL = c.BaseURL
	}
	return s
}
