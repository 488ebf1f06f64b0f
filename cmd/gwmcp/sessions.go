package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gwmcp/gwmcp/internal/config"
)

func newSessionsCmd(e env) *cobra.Command {
	cmd := &cobra.Command{Use: "sessions", Short: "List and end MCP sessions (administrators; the embedded store is locked while the server runs, Redis is not)"}
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List live MCP sessions: handle, who opened them, when, last seen",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := adminApp(cmd.Context(), e, cmd, "auto", func(c *config.Config) { c.Transport = config.TransportHTTP })
			if err != nil {
				return err
			}
			defer a.Close()
			all, err := a.Sessions(cmd.Context())
			if err != nil {
				return err
			}
			if len(all) == 0 {
				fmt.Fprintln(e.stdout, "No live MCP session.")
				return nil
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "HANDLE\tWHO\tOPENED\tLAST SEEN\tACCOUNT")
			for _, s := range all {
				who := s.Email
				if who == "" {
					who = s.Principal
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Handle, who, s.Created.Local().Format(time.DateTime), s.LastSeen.Local().Format(time.DateTime), s.Selected)
			}
			return tw.Flush()
		},
	}, &cobra.Command{
		Use:   "end HANDLE",
		Short: "End a session: its id stops working (the client starts a new one)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := adminApp(cmd.Context(), e, cmd, "auto", func(c *config.Config) { c.Transport = config.TransportHTTP })
			if err != nil {
				return err
			}
			defer a.Close()
			if err := a.EndSession(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Session %s ended.\n", args[0])
			return nil
		},
	})
	return cmd
}
