package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type startupOptions struct {
	binary   string
	runs     int
	argsJSON string
	args     []string
	settle   time.Duration
}

type startupResult struct {
	binary      string
	starts      []time.Duration
	rssKB       []int
	medianStart time.Duration
	medianRSSKB int
}

func (r startupResult) String() string {
	return fmt.Sprintf("%s: %d starts, cold start (exec to /health 200) median %s (min %s, max %s); idle RSS median %.1f MB",
		r.binary, len(r.starts), r.medianStart.Round(100*time.Microsecond),
		slices.Min(r.starts).Round(100*time.Microsecond), slices.Max(r.starts).Round(100*time.Microsecond),
		float64(r.medianRSSKB)/1024)
}

// startup starts the binary o.runs times; each time it measures the time from exec until
// /health answers 200, then the resident memory once the server has settled, and stops it.
func startup(ctx context.Context, o startupOptions) (startupResult, error) {
	if o.settle == 0 {
		o.settle = time.Second
	}
	res := startupResult{binary: o.binary}
	client := &http.Client{Timeout: time.Second}
	for i := range o.runs {
		port, err := freePort()
		if err != nil {
			return res, err
		}
		args := make([]string, len(o.args))
		for j, a := range o.args {
			args[j] = strings.ReplaceAll(a, "{port}", port)
		}
		dir, err := os.MkdirTemp("", "mcpload-startup-")
		if err != nil {
			return res, err
		}
		cmd := exec.CommandContext(ctx, o.binary, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CREDENTIALS_DIR="+dir)
		t0 := time.Now()
		if err := cmd.Start(); err != nil {
			os.RemoveAll(dir)
			return res, fmt.Errorf("start %s: %w", o.binary, err)
		}
		up, err := pollHealth(ctx, client, "http://127.0.0.1:"+port+"/health", t0)
		if err == nil {
			res.starts = append(res.starts, up)
			time.Sleep(o.settle)
			var kb int
			kb, err = rssKB(cmd.Process.Pid)
			res.rssKB = append(res.rssKB, kb)
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		os.RemoveAll(dir)
		if err != nil {
			return res, fmt.Errorf("run %d: %w", i+1, err)
		}
	}
	res.medianStart = medianDuration(res.starts)
	s := slices.Clone(res.rssKB)
	slices.Sort(s)
	res.medianRSSKB = s[len(s)/2]
	return res, nil
}

func pollHealth(ctx context.Context, c *http.Client, url string, t0 time.Time) (time.Duration, error) {
	deadline := t0.Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		resp, err := c.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(t0), nil
			}
		}
		time.Sleep(500 * time.Microsecond)
	}
	return 0, fmt.Errorf("%s did not answer 200 within 10s", url)
}

// rssKB reads VmRSS from /proc (Linux).
func rssKB(pid int) (int, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("reading RSS: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port, nil
}

func medianDuration(v []time.Duration) time.Duration {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
