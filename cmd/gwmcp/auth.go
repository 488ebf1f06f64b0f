package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gwmcp/gwmcp/internal/app"
	"github.com/gwmcp/gwmcp/internal/config"
)

// adminApp builds the app for an administration command.
func adminApp(ctx context.Context, e env, cmd *cobra.Command, stateStore string, mutate func(*config.Config)) (*app.App, error) {
	eff, err := loadConfig(e, cmd.Flags())
	if err != nil {
		return nil, err
	}
	cfg := eff.Config
	if mutate != nil {
		mutate(&cfg)
	}
	return app.New(ctx, app.Options{Config: cfg, Version: versionString(), Admin: true, StateStore: stateStore,
		Logger: app.NewLogger(e.stderr, app.LogOptions{JSON: !isTerminal(e.stderr)}), OpenBrowser: openBrowser})
}

// openBrowser opens url in the desktop's browser, if there is one.
func openBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	return cmd.Start()
}

func newAuthCmd(e env) *cobra.Command {
	cmd := &cobra.Command{Use: "auth", Short: "Connect, list and revoke Google accounts from the terminal"}
	cmd.AddCommand(newAuthLoginCmd(e), newAuthListCmd(e), newAuthRevokeCmd(e))
	return cmd
}

func newAuthLoginCmd(e env) *cobra.Command {
	var email, services string
	var noBrowser bool
	c := &cobra.Command{
		Use:   "login",
		Short: "Connect a Google account (a browser on this machine, or paste the address from another)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := adminApp(cmd.Context(), e, cmd, "memory", func(c *config.Config) { c.Transport = config.TransportStdio })
			if err != nil {
				return err
			}
			defer a.Close()
			link, err := a.LinkLocal(cmd.Context(), email, splitList(services), !noBrowser, e.stdin, e.stdout)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Connected %s.\n", link.Email)
			return nil
		},
	}
	c.Flags().StringVar(&email, "email", "", "the Google address to suggest on the sign-in page")
	c.Flags().StringVar(&services, "services", "", "services to request, comma-separated (default: those of the enabled tools)")
	c.Flags().BoolVar(&noBrowser, "no-browser", false, "do not open a browser; paste the address it ends on instead")
	return c
}

func newAuthListCmd(e env) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the Google accounts stored on this machine",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := adminApp(cmd.Context(), e, cmd, "memory", nil)
			if err != nil {
				return err
			}
			defer a.Close()
			accts, problems, err := a.LocalAccounts(cmd.Context())
			if err != nil {
				return err
			}
			if len(accts) == 0 {
				fmt.Fprintln(e.stdout, "No Google account is connected. Run gwmcp auth login.")
			} else {
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ACCOUNT\tDEFAULT\tSERVICES")
				for _, la := range accts {
					def := ""
					if la.Default {
						def = "yes"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\n", la.Email, def, strings.Join(la.Services, ","))
				}
				tw.Flush()
			}
			return reportProblems(e.stderr, problems)
		},
	}
}

func newAuthRevokeCmd(e env) *cobra.Command {
	var all bool
	c := &cobra.Command{
		Use:   "revoke EMAIL | --all",
		Short: "Revoke an account at Google and delete it; --all revokes every grant, session and Google token",
		Args: func(cmd *cobra.Command, args []string) error {
			if (all && len(args) == 0) || (!all && len(args) == 1) {
				return nil
			}
			return errors.New("give one account address, or --all")
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Minute)
			defer cancel()
			a, err := adminApp(ctx, e, cmd, "auto", func(c *config.Config) { c.Transport = config.TransportHTTP })
			if err != nil {
				return fmt.Errorf("%w (an embedded store is locked while the server runs: stop it first, or use STORE_URL)", err)
			}
			defer a.Close()
			var rep app.RevokeReport
			if all {
				rep, err = a.RevokeEverything(ctx)
			} else {
				rep, err = a.RevokeAccount(ctx, args[0])
			}
			fmt.Fprintf(e.stdout, "Google credentials deleted: %d (revoked at Google: %d)\n", rep.Accounts, rep.RevokedAtGoogle)
			if len(rep.GoogleFailures) > 0 {
				fmt.Fprintf(e.stdout, "Google could not be told for: %s; remove gwmcp at https://myaccount.google.com/permissions\n", strings.Join(rep.GoogleFailures, ", "))
			}
			fmt.Fprintf(e.stdout, "Account links removed: %d\n", rep.Links)
			if all {
				fmt.Fprintf(e.stdout, "MCP sessions ended: %d\nClient grants revoked: %d (refresh tokens %d, codes %d, pending logins %d, consents %d)\n",
					rep.Sessions, rep.Server.Grants, rep.Server.RefreshTokens, rep.Server.Codes, rep.Server.PendingRequests, rep.Server.Consents)
			}
			return err
		},
	}
	c.Flags().BoolVar(&all, "all", false, "the emergency switch: revoke everything")
	return c
}

func newTokenCmd(e env) *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Development tokens (flow 5)"}
	var email, scopes string
	var ttl time.Duration
	dev := &cobra.Command{
		Use:   "dev --email E [--scopes s1,s2] [--ttl 1h]",
		Short: "Mint a development token that a server with ENABLE_DEV_TOKENS=true accepts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := adminApp(cmd.Context(), e, cmd, "memory", func(c *config.Config) { c.Transport = config.TransportStdio })
			if err != nil {
				return err
			}
			defer a.Close()
			tok, err := a.MintDevToken(email, splitList(scopes), ttl)
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, tok)
			return nil
		},
	}
	dev.Flags().StringVar(&email, "email", "", "the account the token acts as (required)")
	dev.Flags().StringVar(&scopes, "scopes", "", "limit the token to these scopes (short names, groups or URLs)")
	dev.Flags().DurationVar(&ttl, "ttl", time.Hour, "lifetime (at most 720h)")
	_ = dev.MarkFlagRequired("email")
	cmd.AddCommand(dev)
	return cmd
}

// splitList reads a comma-separated flag value, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
