// Command gwmcp-sandbox runs the sandbox Google (internal/sandbox: an OpenID provider plus the
// Drive, Gmail and Calendar APIs over a seeded demo workspace) as a process of its own, so that
// several gwmcp processes can share one Google in tests and demos:
//
//	gwmcp-sandbox --listen 127.0.0.1:0 --client-id ID --client-secret S \
//	    --redirect-uri http://127.0.0.1:8002/oauth2callback [--redirect-uri URI2] \
//	    [--auto-approve bob@sandbox.example] [--addr-file PATH] [--verbose]
//
// It registers the given OAuth client as a Google "Desktop app" client (its redirect URIs, and
// any http loopback redirect on any port), sets its issuer to its own http://HOST:PORT, and
// prints "issuer=http://HOST:PORT" as its first line on stdout (and writes the same line to
// --addr-file, atomically, removing it again on exit). Point gwmcp at it with
// GOOGLE_OAUTH_ISSUER and GOOGLE_API_BASE_URL set to that URL. The client secret may also come
// from GWMCP_SANDBOX_CLIENT_SECRET, which keeps it out of the process list.
//
// SIGINT or SIGTERM stops it cleanly (exit 0). Errors are one line on stderr and exit 1. All
// state is in memory: nothing survives the process, and no real Google account is involved.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/secret"
)

// secretEnv is the environment variable read when --client-secret is not given.
const secretEnv = "GWMCP_SANDBOX_CLIENT_SECRET"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv(secretEnv), os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "gwmcp-sandbox: "+strings.ReplaceAll(err.Error(), "\n", "; "))
		os.Exit(1)
	}
}

// options are the command line, parsed.
type options struct {
	listen       string
	clientID     string
	clientSecret secret.String
	redirectURIs []string
	autoApprove  string
	addrFile     string
	verbose      bool
	trust        string
}

// parseArgs reads the command line; envSecret is the fallback for --client-secret. -h prints
// the usage to stdout and returns flag.ErrHelp.
func parseArgs(args []string, envSecret string, stdout io.Writer) (options, error) {
	var o options
	var sec string
	fs := flag.NewFlagSet("gwmcp-sandbox", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by main
	fs.StringVar(&o.listen, "listen", "127.0.0.1:0", "address to listen on (port 0 picks a free one)")
	fs.StringVar(&o.clientID, "client-id", "", "OAuth client id to register (required)")
	fs.StringVar(&sec, "client-secret", "", "its client secret (or "+secretEnv+"; empty makes a public client)")
	fs.Func("redirect-uri", "an authorized redirect URI of the client (repeatable; loopback URIs need none)", func(v string) error {
		o.redirectURIs = append(o.redirectURIs, v)
		return nil
	})
	fs.StringVar(&o.autoApprove, "auto-approve", "", "sign this demo account in and approve every authorization at once")
	fs.StringVar(&o.addrFile, "addr-file", "", "also write the issuer=URL line to this file")
	fs.BoolVar(&o.verbose, "verbose", false, "log the sandbox's events (never a token) to stderr")
	fs.StringVar(&o.trust, "trust-userinfo", "", "also accept, at the Workspace APIs, access tokens this userinfo URL (another OpenID provider's) vouches for")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, "usage: gwmcp-sandbox --client-id ID [--client-secret S] [--redirect-uri URI]... [--listen ADDR] [--auto-approve EMAIL] [--addr-file PATH] [--verbose]")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return o, err
		}
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q: every setting is a flag (see -h)", fs.Arg(0))
	}
	if o.clientID == "" {
		return o, errors.New("--client-id is required: the OAuth client gwmcp uses (its GOOGLE_CLIENT_ID)")
	}
	if sec == "" {
		sec = envSecret
	}
	o.clientSecret = secret.New(sec)
	return o, nil
}

// run serves the sandbox until ctx ends. The first line on stdout is issuer=URL.
func run(ctx context.Context, args []string, envSecret string, stdout, stderr io.Writer) error {
	o, err := parseArgs(args, envSecret, stdout)
	if err != nil {
		return err
	}
	logger := slog.New(slog.DiscardHandler)
	if o.verbose {
		logger = slog.New(slog.NewTextHandler(stderr, nil))
	}
	sb, err := sandbox.New(sandbox.Options{Logger: logger, AutoApprove: o.autoApprove,
		Clients: []sandbox.Client{{ID: o.clientID, Secret: o.clientSecret, RedirectURIs: o.redirectURIs, Desktop: true}}})
	if err != nil {
		return fmt.Errorf("starting the sandbox: %w", err)
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", o.listen, err)
	}
	defer ln.Close()
	issuer := issuerOf(ln.Addr().(*net.TCPAddr))
	sb.SetIssuer(issuer)
	if o.trust != "" {
		sb.SetTrustedUserinfo(o.trust)
	}

	srv := &http.Server{Handler: sb.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelDebug)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	line := "issuer=" + issuer + "\n"
	if o.addrFile != "" {
		if err := writeAtomic(o.addrFile, []byte(line)); err != nil {
			_ = srv.Close()
			return fmt.Errorf("--addr-file: %w", err)
		}
		defer os.Remove(o.addrFile)
	}
	if _, err := io.WriteString(stdout, line); err != nil {
		_ = srv.Close()
		return fmt.Errorf("writing the issuer to stdout: %w", err)
	}
	logger.Info("sandbox Google running", "issuer", issuer, "client_id", o.clientID, "auto_approve", o.autoApprove)

	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}

// issuerOf is the URL clients reach the listener at: an unspecified address (0.0.0.0, ::,
// which Go listens on dual-stack) is reached at 127.0.0.1.
func issuerOf(a *net.TCPAddr) string {
	ip := a.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return "http://" + net.JoinHostPort(ip.String(), strconv.Itoa(a.Port))
}

// writeAtomic writes data to path through a temporary file in the same directory and a
// rename, so a reader polling for the file never sees it half written.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}
