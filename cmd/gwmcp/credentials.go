package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gwmcp/gwmcp/internal/app"
	"github.com/gwmcp/gwmcp/internal/config"
	"github.com/gwmcp/gwmcp/internal/credentials"
	"github.com/gwmcp/gwmcp/internal/credentials/pyimport"
	"github.com/gwmcp/gwmcp/internal/scopes"
	"github.com/gwmcp/gwmcp/internal/seal"
	"github.com/gwmcp/gwmcp/internal/secret"
	"github.com/gwmcp/gwmcp/internal/store"
)

func newCredentialsCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "credentials",
		Short: "List, migrate and import stored Google credentials",
	}
	cmd.AddCommand(newCredentialsListCmd(e), newCredentialsMigrateCmd(e), newCredentialsImportCmd(e))
	return cmd
}

// openCredentials opens the credentials of the configured mode, with no key-value store.
func openCredentials(ctx context.Context, e env, cmd *cobra.Command) (config.Config, *app.Storage, error) {
	eff, err := loadConfig(e, cmd.Flags())
	if err != nil {
		return config.Config{}, nil, err
	}
	st, err := app.OpenStorage(ctx, eff.Config, app.StorageOptions{KV: "none"})
	if err != nil {
		return config.Config{}, nil, err
	}
	return eff.Config, st, nil
}

func newCredentialsListCmd(e env) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List stored accounts with their mode, scopes and expiry (no secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, st, err := openCredentials(cmd.Context(), e, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			creds, problems, err := st.Credentials.List(cmd.Context())
			if err != nil {
				return err
			}
			mode := cfg.CredentialMode
			if mode == string(credentials.MemoryOnly) {
				fmt.Fprintln(e.stdout, "CREDENTIAL_STORAGE_MODE=MEMORY_ONLY keeps no credentials on disk: a running server forgets them when it stops.")
				return nil
			}
			printCredentials(e.stdout, mode, creds, time.Now())
			return reportProblems(e.stderr, problems)
		},
	}
}

func printCredentials(w io.Writer, mode string, creds []credentials.Credential, now time.Time) {
	if len(creds) == 0 {
		fmt.Fprintf(w, "No stored credentials (%s).\n", mode)
		return
	}
	reg := scopes.New(scopes.Options{})
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tMODE\tSCOPES\tACCESS TOKEN\tREFRESH TOKEN\tUPDATED")
	for _, c := range creds {
		names := make([]string, 0, len(c.Scopes))
		for _, u := range c.Scopes {
			if s, ok := reg.Lookup(u); ok {
				names = append(names, s.Name)
			} else {
				names = append(names, u)
			}
		}
		access := "none"
		switch {
		case c.AccessToken.IsZero():
		case c.Expiry.IsZero():
			access = "valid (no expiry)"
		case c.Expiry.After(now):
			access = "expires in " + c.Expiry.Sub(now).Round(time.Minute).String()
		default:
			access = "expired (refreshed on next use)"
		}
		refresh := "yes"
		if c.RefreshToken.IsZero() {
			refresh = "no (re-authorize when it expires)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Email, mode, strings.Join(names, " "), access, refresh,
			c.UpdatedAt.Local().Format(time.DateTime))
	}
	tw.Flush()
}

// reportProblems prints files that could not be read; they are left untouched.
func reportProblems(w io.Writer, problems []credentials.Problem) error {
	if len(problems) == 0 {
		return nil
	}
	fmt.Fprintf(w, "%d credential file(s) could not be read and were left untouched:\n", len(problems))
	for _, p := range problems {
		fmt.Fprintf(w, "  %s: %v\n", p.Path, p.Err)
	}
	return nil
}

func newCredentialsMigrateCmd(e env) *cobra.Command {
	var to, from string
	cmd := &cobra.Command{
		Use:   "migrate --to MODE",
		Short: "Move every credential to another storage mode (all or nothing; safe to rerun)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			eff, err := loadConfig(e, cmd.Flags())
			if err != nil {
				return err
			}
			cfg := eff.Config
			if from == "" {
				from = cfg.CredentialMode
			}
			fromMode, err := credentials.ParseMode(from)
			if err != nil {
				return fmt.Errorf("--from: %w", err)
			}
			toMode, err := credentials.ParseMode(to)
			if err != nil {
				return fmt.Errorf("--to: %w", err)
			}
			kr, err := app.LoadKeyring(cfg)
			if err != nil {
				return err
			}
			res, err := credentials.Migrate(cmd.Context(), credentials.MigrateOptions{Dir: cfg.CredentialsDir, From: fromMode, To: toMode, Keyring: kr})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Moved %d credential(s) from %s to %s (%d were already there).\n", res.Moved, fromMode, toMode, res.AlreadyMigrated)
			if toMode != credentials.Mode(cfg.CredentialMode) {
				fmt.Fprintf(e.stdout, "Set CREDENTIAL_STORAGE_MODE=%s so gwmcp uses them.\n", toMode)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "destination mode: FILE_ENCRYPTED, FILE_PLAINTEXT or MEMORY_WITH_BACKUP")
	cmd.Flags().StringVar(&from, "from", "", "source mode (default CREDENTIAL_STORAGE_MODE)")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

func newCredentialsImportCmd(e env) *cobra.Command {
	var from string
	cmd := &cobra.Command{
		Use:   "import --from DIR",
		Short: "Import the Python server's credentials (google-auth JSON and Fernet .enc files); DIR is only read",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, st, err := openCredentials(cmd.Context(), e, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			opts := pyimport.Options{Dir: from}
			if k := envValue(e, "MCP_API_KEY"); k != "" {
				opts.MCPAPIKey = secret.New(k)
			}
			res, err := pyimport.Import(cmd.Context(), opts)
			if err != nil {
				return err
			}
			imported := 0
			for _, im := range res.Credentials {
				if err := st.Credentials.Put(cmd.Context(), im.Credential); err != nil {
					res.Problems = append(res.Problems, credentials.Problem{Path: im.Path, Err: err})
					continue
				}
				imported++
				note := ""
				if im.EmailFromFileName {
					note = " (address taken from the file name: check it with gwmcp credentials list)"
				}
				fmt.Fprintf(e.stdout, "imported %s from %s%s\n", im.Credential.Email, im.Path, note)
			}
			fmt.Fprintf(e.stdout, "Imported %d credential(s) into %s; %s was not changed.\n", imported, st.Credentials.Mode(), from)
			if err := reportProblems(e.stderr, res.Problems); err != nil {
				return err
			}
			if imported == 0 && len(res.Problems) > 0 {
				return errors.New("no credential could be imported")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the Python server's credentials directory")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

func newKeyCmd(e env) *cobra.Command {
	cmd := &cobra.Command{Use: "key", Short: "Manage the encryption key"}
	cmd.AddCommand(&cobra.Command{
		Use:   "rotate",
		Short: "Make a new encryption key and re-seal every credential and the embedded store (crash-safe; rerun to finish)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			eff, err := loadConfig(e, cmd.Flags())
			if err != nil {
				return err
			}
			cfg := eff.Config
			if !cfg.AuthEncryptionKey.IsZero() {
				return errors.New("AUTH_ENCRYPTION_KEY is set, so there is no key file to rotate; rotate by unsetting it, running gwmcp key rotate, and keeping the new key file")
			}
			ctx := cmd.Context()
			res, err := credentials.RotateKey(ctx, credentials.RotateOptions{
				Dir: cfg.CredentialsDir,
				Reseal: func(ctx context.Context, kr *seal.Keyring) error {
					kv, err := app.OpenKV(ctx, cfg, nil)
					if err != nil {
						return err
					}
					defer kv.Close()
					_, err = store.Sealed(kv, kr).Reseal(ctx, "")
					return err
				},
			})
			if err != nil {
				return err
			}
			verb := "Rotated: the"
			if res.Resumed {
				verb = "Finished an interrupted rotation: the"
			}
			fmt.Fprintf(e.stdout, "%s encryption key is now %s; %d credential file(s) re-sealed; the old key is gone.\n", verb, res.Primary, res.Resealed)
			return nil
		},
	})
	return cmd
}

func envValue(e env, name string) string {
	for _, kv := range e.environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}
