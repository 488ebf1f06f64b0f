// Command gwmcp is the gwmcp server and its administration commands. This is the only place
// that reads the process environment and exits.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3"; go install fills it
// from the module version instead.
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd(env{stdout: os.Stdout, stderr: os.Stderr, environ: os.Environ()}).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gwmcp: "+oneLine(err))
		os.Exit(1)
	}
}

// env is what the commands take from the process, so tests can run them in-process.
type env struct {
	stdin   io.ReadCloser
	stdout  io.Writer
	stderr  io.Writer
	environ []string
	// dotEnvPath is the .env file read if present (default ".env").
	dotEnvPath string
}

func newRootCmd(e env) *cobra.Command {
	root := &cobra.Command{
		Use:   "gwmcp",
		Short: "MCP server for Google Workspace",
		Long: "gwmcp gives AI assistants safe access to Google Workspace over the Model Context Protocol.\n" +
			"Run `gwmcp serve` for stdio (desktop clients) or `gwmcp serve --transport http` for Streamable HTTP.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.AddCommand(newServeCmd(e), newConfigCmd(e), newVersionCmd(e), newCredentialsCmd(e), newKeyCmd(e), newAuthCmd(e), newTokenCmd(e), newDoctorCmd(e), newSessionsCmd(e))
	return root
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

func newVersionCmd(e env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the gwmcp version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			goVersion := "unknown"
			if bi, ok := debug.ReadBuildInfo(); ok {
				goVersion = bi.GoVersion
			}
			_, err := fmt.Fprintf(e.stdout, "gwmcp %s (%s)\n", versionString(), goVersion)
			return err
		},
	}
}

// oneLine keeps the error to a single line for the terminal.
func oneLine(err error) string {
	var unwrapped interface{ Unwrap() []error }
	if errors.As(err, &unwrapped) {
		// errors.Join output spans lines; keep the first, which names the failing step.
		return strings.SplitN(err.Error(), "\n", 2)[0]
	}
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
