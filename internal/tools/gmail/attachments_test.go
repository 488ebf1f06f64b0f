package gmail

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/tools/toolstest"
)

// These tests go through the real transfer service (internal/transfer): its local folder
// on stdio, its single-use URLs over HTTP.

func TestDownloadAttachmentLocal(t *testing.T) {
	tr := localTransfer(t)
	env, cs := aliceSession(t, tr)
	inv := find(t, env, alice, "March invoice and usage report")

	for i, want := range []string{"invoice-march.pdf", "invoice-march (1).pdf"} {
		var out DownloadOutput
		toolstest.OK(t, cs, "download_gmail_attachment", map[string]any{"message_id": inv.ID, "filename": "invoice-march.pdf"}, &out)
		if out.FilePath != filepath.Join(tr.Dir(), want) || out.DownloadURL != "" || out.MimeType != "application/pdf" {
			t.Fatalf("download %d = %+v", i, out)
		}
		got, err := os.ReadFile(out.FilePath)
		if err != nil || !bytes.Equal(got, sandbox.SeedPDF()) || out.Size != int64(len(got)) {
			t.Errorf("saved file differs from the attachment (%d bytes, err %v)", len(got), err)
		}
	}

	var out DownloadOutput
	toolstest.OK(t, cs, "download_gmail_attachment", map[string]any{"message_id": inv.ID, "filename": "usage-march.csv",
		"save_dir": "reports/march"}, &out)
	if got, _ := os.ReadFile(filepath.Join(tr.Dir(), "reports", "march", "usage-march.csv")); !bytes.Equal(got, sandbox.SeedCSV()) {
		t.Errorf("csv in sub-folder = %q", got)
	}
	res := toolstest.Call(t, cs, "download_gmail_attachment", map[string]any{"message_id": inv.ID, "filename": "usage-march.csv"})
	if strings.Contains(toolstest.Text(res), "2026-02-01,1200") {
		t.Error("the attachment's content is in the tool result")
	}

	t.Run("refused", func(t *testing.T) {
		for name, tc := range map[string]struct {
			args map[string]any
			want string
		}{
			"unknown file":      {map[string]any{"message_id": inv.ID, "filename": "secret.txt"}, "invoice-march.pdf, usage-march.csv"},
			"no attachments":    {map[string]any{"message_id": find(t, env, alice, "Lunch on Friday?").ID, "filename": "x"}, "no attachments"},
			"escaping save_dir": {map[string]any{"message_id": inv.ID, "filename": "invoice-march.pdf", "save_dir": "../up"}, "save_dir"},
			"absolute save_dir": {map[string]any{"message_id": inv.ID, "filename": "invoice-march.pdf", "save_dir": "/etc"}, "save_dir"},
			"unknown message":   {map[string]any{"message_id": "ffffffffffffff00", "filename": "x"}, "404"},
			"missing filename":  {map[string]any{"message_id": inv.ID, "filename": ""}, "required"},
		} {
			t.Run(name, func(t *testing.T) {
				wantContains(t, "error", toolstest.Fails(t, cs, "download_gmail_attachment", tc.args), tc.want)
			})
		}
		entries, _ := os.ReadDir(filepath.Dir(tr.Dir()))
		for _, e := range entries {
			if e.Name() == "up" {
				t.Error("a file escaped the download folder")
			}
		}
	})
}

func TestLocalName(t *testing.T) {
	for _, tc := range []struct{ dir, file, want string }{
		{"", "report.pdf", "report.pdf"},
		{"", "../../etc/passwd", "passwd"},
		{"", `..\..\windows\win.ini`, "win.ini"},
		{"", "/etc/shadow", "shadow"},
		{"", "..", "attachment"},
		{"", "", "attachment"},
		{"", "a\x00b:c\n.txt", "a_b_c_.txt"},
		{"sub/dir", "x.pdf", filepath.Join("sub", "dir", "x.pdf")},
	} {
		got, err := localName(tc.dir, tc.file)
		if err != nil || got != tc.want {
			t.Errorf("localName(%q, %q) = %q, %v; want %q", tc.dir, tc.file, got, err, tc.want)
		}
	}
	for _, dir := range []string{"../x", "/abs", "a/../../b"} {
		if _, err := localName(dir, "x"); err == nil {
			t.Errorf("localName(%q) was allowed", dir)
		}
	}
}

func TestDownloadAttachmentURL(t *testing.T) {
	env := toolstest.New(t)
	env.Deps.Transfers = urlTransfer(t, env.KV)
	Register(env.Registry, env.Deps)
	env.Authorize(t, alice, allScopes...)
	cs := env.Connect(t, identity.Principal{})
	photo := find(t, env, alice, "Team photo")
	var out DownloadOutput
	toolstest.OK(t, cs, "download_gmail_attachment", map[string]any{"message_id": photo.ID, "filename": "team.png"}, &out)
	if out.DownloadURL == "" || out.FilePath != "" || out.ExpiresAt == "" {
		t.Fatalf("download = %+v", out)
	}
	resp, err := http.Get(out.DownloadURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(body, sandbox.SeedPNG()) {
		t.Fatalf("GET = %d, %d bytes; want the %d bytes of team.png", resp.StatusCode, len(body), len(sandbox.SeedPNG()))
	}
	if resp.Header.Get("Content-Type") != "image/png" || resp.Header.Get("Content-Disposition") != `attachment; filename=team.png` ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers = %v", resp.Header)
	}
	if again, err := http.Get(out.DownloadURL); err != nil || again.StatusCode != http.StatusNotFound {
		t.Errorf("second GET of a single-use URL: %v, %v", again.StatusCode, err)
	} else {
		again.Body.Close()
	}

	t.Run("attachment gone by download time", func(t *testing.T) {
		inv := find(t, env, alice, "March invoice and usage report")
		var out DownloadOutput
		toolstest.OK(t, cs, "download_gmail_attachment", map[string]any{"message_id": inv.ID, "filename": "usage-march.csv"}, &out)
		env.Sandbox.FailAPI("gmail", 1, sandbox.APIFailure{Status: 404})
		resp, err := http.Get(out.DownloadURL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || bytes.Contains(body, []byte("googleapi")) {
			t.Errorf("GET = %d %s", resp.StatusCode, body)
		}
	})
}

func TestDownloadWithoutTransfers(t *testing.T) {
	env, cs := aliceSession(t, nil)
	inv := find(t, env, alice, "March invoice and usage report")
	wantContains(t, "error", toolstest.Fails(t, cs, "download_gmail_attachment",
		map[string]any{"message_id": inv.ID, "filename": "invoice-march.pdf"}), "not set up for file transfers")
}
