package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gwmcp/gwmcp/internal/app"
	"github.com/gwmcp/gwmcp/internal/config"
)

// addServerFlags adds the flags that override configuration variables. serve and config share
// them so `gwmcp config` shows what `gwmcp serve` with the same flags would use.
func addServerFlags(fs *pflag.FlagSet) {
	fs.String("transport", "", "stdio or http (MCP_TRANSPORT; default stdio)")
	fs.String("host", "", "address to listen on (SERVER_HOST; default 127.0.0.1)")
	fs.Int("port", 0, "port to listen on (SERVER_PORT; default 8002)")
	fs.Bool("stateless", false, "Streamable HTTP without sessions, for replicas (MCP_STATELESS)")
	fs.Bool("sandbox", false, "run against the in-process fake Google: no Google project needed (MCP_SANDBOX)")
	fs.Bool("read-only", false, "offer read tools only and request read scopes only (MCP_READ_ONLY)")
	fs.String("tools", "", "only these Google services' tools, comma-separated (MCP_TOOLS)")
	fs.String("tool-tier", "", "core, extended or complete (MCP_TOOL_TIER; default core)")
}

// loadConfig reads the environment, the .env file (if present) and the flags that were set.
func loadConfig(e env, flags *pflag.FlagSet) (config.Effective, error) {
	src := config.Sources{Env: map[string]string{}, Flags: map[string]string{}}
	for _, kv := range e.environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			src.Env[k] = v
		}
	}
	path := e.dotEnvPath
	if path == "" {
		path = ".env"
	}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if src.DotEnv, err = config.ParseDotEnv(data); err != nil {
			return config.Effective{}, err
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		return config.Effective{}, fmt.Errorf("reading %s: %w", path, err)
	}
	flags.Visit(func(f *pflag.Flag) { src.Flags[f.Name] = f.Value.String() })
	return config.Load(src)
}

func newServeCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the MCP server (stdio by default, or Streamable HTTP)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			eff, err := loadConfig(e, cmd.Flags())
			if err != nil {
				return err
			}
			cfg := eff.Config
			log := app.NewLogger(e.stderr, app.LogOptions{JSON: !isTerminal(e.stderr), Debug: cfg.EnhancedLogging})
			o := app.Options{Config: cfg, Version: versionString(), Logger: log, Stdin: e.stdin}
			if cfg.Transport == config.TransportStdio {
				o.OpenBrowser = openBrowser
			}
			a, err := app.New(cmd.Context(), o)
			if err != nil {
				return err
			}
			err = a.Run(cmd.Context())
			return errors.Join(err, a.Close())
		},
	}
	addServerFlags(cmd.Flags())
	return cmd
}

func newConfigCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the effective configuration (secrets redacted) and where each value came from",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			eff, err := loadConfig(e, cmd.Flags())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "VARIABLE\tVALUE\tSOURCE")
			for _, v := range eff.Values {
				val := v.Value
				if val == "" {
					val = "(unset)"
				}
				src := string(v.Source)
				if v.Source == config.FromFlag {
					src = "flag --" + v.Var.Flag
				} else if v.From != "" && v.From != v.Var.Name {
					src += " (" + v.From + ")"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", v.Var.Name, val, src)
			}
			return tw.Flush()
		},
	}
	addServerFlags(cmd.Flags())
	return cmd
}

// isTerminal reports whether w is a character device (a terminal), for choosing text logs.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
