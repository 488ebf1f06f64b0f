// Command mcpload is gwmcp's load and start-up measuring tool.
//
//	mcpload run      N concurrent MCP clients call one tool over Streamable HTTP for a fixed time
//	mcpload compare  the same against two servers, interleaved, and the throughput ratio
//	mcpload bare     a bare go-sdk server with a no-op tool: the baseline for compare
//	mcpload startup  cold start (exec to /health 200) and idle RSS of a server binary
//
// Every mode fails (exit 1) on any error, so a load run doubles as a correctness check.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mcpload: "+err.Error())
		os.Exit(1)
	}
}

const usage = "usage: mcpload run|compare|bare|startup [flags] (mcpload MODE -h for flags)"

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("mcpload "+args[0], flag.ContinueOnError)
	fs.SetOutput(out)
	switch args[0] {
	case "run":
		var o loadOptions
		o.flags(fs, "")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		res, err := load(ctx, o)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, res)
		return res.err()
	case "compare":
		var a, b loadOptions
		a.flags(fs, "")
		b.flags(fs, "baseline-")
		rounds := fs.Int("rounds", 3, "interleaved rounds per server")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		b.clients, b.duration, b.token = a.clients, a.duration, a.token
		return compare(ctx, a, b, *rounds, out)
	case "bare":
		addr := fs.String("addr", "127.0.0.1:8003", "address to listen on")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return serveBare(ctx, *addr, out)
	case "startup":
		var o startupOptions
		fs.StringVar(&o.binary, "bin", "./gwmcp", "server binary")
		fs.IntVar(&o.runs, "n", 10, "number of starts")
		fs.StringVar(&o.argsJSON, "args", `["serve","--transport","http","--port","{port}"]`, "JSON array of arguments; {port} is replaced")
		fs.DurationVar(&o.settle, "settle", 0, "wait after ready before reading RSS (default 1s)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(o.argsJSON), &o.args); err != nil {
			return fmt.Errorf("-args must be a JSON array of strings: %w", err)
		}
		res, err := startup(ctx, o)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, res)
		return nil
	default:
		return errors.New(usage)
	}
}
