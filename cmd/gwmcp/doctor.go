package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gwmcp/gwmcp/internal/app"
	"github.com/gwmcp/gwmcp/internal/config"
	"github.com/gwmcp/gwmcp/internal/upstream"
)

// check is one line of the doctor's report.
type check struct {
	level string // ok, warn, fail
	what  string
	fix   string
}

type checks []check

func (c *checks) ok(what string)        { *c = append(*c, check{"ok", what, ""}) }
func (c *checks) warn(what, fix string) { *c = append(*c, check{"warn", what, fix}) }
func (c *checks) fail(what, fix string) { *c = append(*c, check{"fail", what, fix}) }
func (c checks) failed() bool {
	return slices.ContainsFunc(c, func(x check) bool { return x.level == "fail" })
}
func (c checks) print(w io.Writer) {
	marks := map[string]string{"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}
	for _, x := range c {
		fmt.Fprintf(w, "[%s] %s\n", marks[x.level], x.what)
		if x.fix != "" {
			fmt.Fprintf(w, "       fix: %s\n", x.fix)
		}
	}
}

func newDoctorCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the whole set-up (configuration, keys, storage, clock, Google, redirect URI, TLS) and say what to fix",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var c checks
			eff, err := loadConfig(e, cmd.Flags())
			if err != nil {
				c.fail("configuration: "+err.Error(), "correct that variable (gwmcp config shows every value and where it comes from)")
				c.print(e.stdout)
				return errors.New("the set-up has problems")
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			doctor(ctx, eff.Config, &c)
			c.print(e.stdout)
			if c.failed() {
				return errors.New("the set-up has problems")
			}
			fmt.Fprintln(e.stdout, "\nNo problem found.")
			return nil
		},
	}
	addServerFlags(cmd.Flags())
	return cmd
}

func doctor(ctx context.Context, cfg config.Config, c *checks) {
	c.ok(fmt.Sprintf("configuration is valid (transport %s, BASE_URL %s)", cfg.Transport, cfg.BaseURL))

	// Credentials directory, key and storage.
	if st, err := os.Stat(cfg.CredentialsDir); err == nil && st.Mode().Perm()&0o077 != 0 {
		c.warn(fmt.Sprintf("CREDENTIALS_DIR %s is open to group or others (mode %o)", cfg.CredentialsDir, st.Mode().Perm()), "chmod 700 "+cfg.CredentialsDir)
	}
	if _, err := app.LoadKeyring(cfg); err != nil {
		c.fail("encryption key: "+err.Error(), "fix the key file's permissions (chmod 600) or restore it; never delete it while credentials exist")
	} else {
		c.ok("encryption key loads")
	}
	st, err := app.OpenStorage(ctx, cfg, app.StorageOptions{KV: "none"})
	if err != nil {
		c.fail("credentials: "+err.Error(), "see the message; gwmcp credentials list shows which files are affected")
	} else {
		creds, problems, lerr := st.Credentials.List(ctx)
		switch {
		case lerr != nil:
			c.fail("credentials: "+lerr.Error(), "check CREDENTIALS_DIR")
		case len(problems) > 0:
			c.warn(fmt.Sprintf("%d credential file(s) cannot be read", len(problems)), "run gwmcp credentials list for the files; move them aside or re-authorize those accounts")
		default:
			c.ok(fmt.Sprintf("%d stored credential(s) in %s mode", len(creds), cfg.CredentialMode))
		}
		if cfg.CredentialMode == "FILE_PLAINTEXT" {
			c.warn("credentials are stored unencrypted (FILE_PLAINTEXT)", "gwmcp credentials migrate --to FILE_ENCRYPTED, then CREDENTIAL_STORAGE_MODE=FILE_ENCRYPTED")
		}
		st.Close()
	}
	if kv, err := app.OpenKV(ctx, cfg, nil); err != nil {
		if strings.Contains(err.Error(), "in use by another gwmcp process") {
			c.ok("the embedded store is in use by a running gwmcp server")
		} else {
			c.fail("server state store: "+err.Error(), "check STORE_URL or CREDENTIALS_DIR")
		}
	} else {
		kv.Close()
		c.ok("server state store opens")
	}

	// Google client, discovery, clock, redirect URI.
	id, secretsRedirects := "", []string(nil)
	switch {
	case cfg.GoogleClientID != "":
		id = cfg.GoogleClientID
	case cfg.GoogleClientSecretsFile != "":
		cs, err := upstream.LoadClientSecretsFile(cfg.GoogleClientSecretsFile)
		if err != nil {
			c.fail(err.Error(), "download the OAuth client's JSON again from Google Cloud Console")
		} else {
			id, secretsRedirects = cs.ClientID, cs.RedirectURIs
		}
	}
	if id == "" {
		if cfg.Transport == config.TransportHTTP {
			c.warn("no Google OAuth client: /mcp runs without authentication (loopback only) and accounts cannot be connected",
				"create an OAuth client in Google Cloud Console and set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET; or try gwmcp serve --sandbox")
		} else {
			c.warn("no Google OAuth client: accounts cannot be connected and tokens cannot be refreshed", "set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET (a Desktop app client)")
		}
	} else {
		c.ok("Google OAuth client configured")
		checkUpstream(ctx, cfg, c)
	}
	redirect := cfg.RedirectURL()
	if ru, bu := mustParse(redirect), mustParse(cfg.BaseURL); ru != nil && bu != nil && (ru.Scheme != bu.Scheme || ru.Host != bu.Host) {
		c.warn("OAUTH_REDIRECT_URI "+redirect+" is not on BASE_URL's host", "Google must send people back to this server: use "+cfg.BaseURL+"/oauth2callback")
	} else if !strings.HasSuffix(redirect, "/oauth2callback") {
		c.fail("OAUTH_REDIRECT_URI "+redirect+" is not gwmcp's callback path", "use "+cfg.BaseURL+"/oauth2callback")
	} else {
		c.ok("redirect URI " + redirect)
	}
	if len(secretsRedirects) > 0 && !slices.Contains(secretsRedirects, redirect) && cfg.Transport == config.TransportHTTP {
		c.fail("the redirect URI "+redirect+" is not registered in GOOGLE_CLIENT_SECRETS_FILE", "add it to the OAuth client's authorized redirect URIs in Google Cloud Console")
	}

	// TLS and exposure.
	if cfg.EnableHTTPS {
		pair, err := tls.LoadX509KeyPair(cfg.SSLCertFile, cfg.SSLKeyFile)
		if err != nil {
			c.fail("TLS certificate or key: "+err.Error(), "check SSL_CERT_FILE and SSL_KEY_FILE (PEM)")
		} else if leaf, err := x509.ParseCertificate(pair.Certificate[0]); err == nil {
			left := time.Until(leaf.NotAfter)
			switch {
			case left < 0:
				c.fail("the TLS certificate expired on "+leaf.NotAfter.Format(time.DateOnly), "renew it")
			case left < 30*24*time.Hour:
				c.warn("the TLS certificate expires on "+leaf.NotAfter.Format(time.DateOnly), "renew it soon")
			default:
				c.ok("TLS certificate valid until " + leaf.NotAfter.Format(time.DateOnly))
			}
		}
		if !strings.HasPrefix(cfg.BaseURL, "https://") {
			c.warn("ENABLE_HTTPS is on but BASE_URL is http", "set BASE_URL to the https address")
		}
	} else if cfg.Transport == config.TransportHTTP && !config.IsLoopbackHost(mustParse(cfg.BaseURL).Hostname()) && !strings.HasPrefix(cfg.BaseURL, "https://") {
		c.warn("BASE_URL is public but not https", "serve behind a TLS-terminating proxy with an https BASE_URL, or set ENABLE_HTTPS")
	}
	if cfg.DevTokens != "" {
		c.warn("ENABLE_DEV_TOKENS is on: anyone with the development key can act as any stored account", "turn it off outside local development")
	}
}

func mustParse(raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		return &url.URL{}
	}
	return u
}

// checkUpstream fetches the issuer's discovery document: reachable, coherent, and a clock
// close to the provider's (ID tokens and our tokens carry times).
func checkUpstream(ctx context.Context, cfg config.Config, c *checks) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(cfg.GoogleIssuer, "/")+"/.well-known/openid-configuration", nil)
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		c.fail("cannot reach "+cfg.GoogleIssuer+": "+err.Error(), "check the network, a proxy, or GOOGLE_OAUTH_ISSUER")
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		c.fail(fmt.Sprintf("%s answered %d to its discovery document", cfg.GoogleIssuer, resp.StatusCode), "check GOOGLE_OAUTH_ISSUER")
		return
	}
	p, err := upstream.New(upstream.Config{Issuer: cfg.GoogleIssuer, ClientID: "doctor", RedirectURL: cfg.RedirectURL()})
	if err == nil {
		err = p.Discover(ctx)
	}
	if err != nil {
		c.fail("upstream discovery: "+err.Error(), "check GOOGLE_OAUTH_ISSUER")
	} else {
		c.ok("upstream " + cfg.GoogleIssuer + " discovered")
	}
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		skew := time.Since(d).Round(time.Second)
		if skew < 0 {
			skew = -skew
		}
		if skew > time.Minute {
			c.fail(fmt.Sprintf("this machine's clock is off by %s from %s", skew, cfg.GoogleIssuer), "synchronize the clock (NTP); tokens are refused when clocks disagree")
		} else {
			c.ok(fmt.Sprintf("clock within %s of the upstream", max(skew, time.Second)))
		}
	}
}
