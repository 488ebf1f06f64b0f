package drive_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/tools/drive"
	"github.com/gwmcp/gwmcp/internal/tools/toolstest"
	"github.com/gwmcp/gwmcp/internal/transfer"
)

// bigSize is the file moved through Drive end to end: larger than the 8 MiB upload chunk,
// so the upload is resumable, and within the sandbox's 64 MB media cap.
const bigSize = 20 << 20

func bigContent() []byte {
	b := make([]byte, bigSize)
	for i := range b {
		b[i] = byte(i*7 + i>>9)
	}
	return b
}

// progressLog collects the progress notifications a client receives.
type progressLog struct {
	mu    sync.Mutex
	items []*mcp.ProgressNotificationParams
}

func (p *progressLog) handler(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.items = append(p.items, req.Params)
}

func (p *progressLog) snapshot() []*mcp.ProgressNotificationParams {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*mcp.ProgressNotificationParams(nil), p.items...)
}

// callWithProgress calls a tool with a progress token and decodes its output.
func callWithProgress(t *testing.T, cs *mcp.ClientSession, name string, a map[string]any, out any) {
	t.Helper()
	params := &mcp.CallToolParams{Name: name, Arguments: a}
	params.SetProgressToken("tok-" + name)
	res, err := cs.CallTool(context.Background(), params)
	if err != nil || res.IsError {
		t.Fatalf("%s: %v %s", name, err, toolstest.Text(res))
	}
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
}

func TestStdioUploadDownload(t *testing.T) {
	dir := t.TempDir()
	tr, err := transfer.New(transfer.Options{LocalDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	env := newEnv(t, tr)
	env.Authorize(t, alice, scopeFull)
	var prog progressLog
	cs := env.ConnectWith(t, identity.Principal{}, &mcp.ClientOptions{ProgressNotificationHandler: prog.handler})

	big := bigContent()
	if err := os.MkdirAll(filepath.Join(dir, "in"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "in", "big.bin"), big, 0o600); err != nil {
		t.Fatal(err)
	}
	var up drive.UploadResult
	callWithProgress(t, cs, "upload_to_drive", args("path", "in/big.bin", "folder_id", sandbox.SeedDriveProjectsFolderID), &up)
	f, ok := env.Sandbox.DriveFile(up.FileID)
	if !ok || sha256.Sum256(f.Content) != sha256.Sum256(big) || f.Name != "big.bin" || f.Parents[0] != sandbox.SeedDriveProjectsFolderID {
		t.Fatalf("uploaded %+v (ok %v, %d bytes)", up, ok, len(f.Content))
	}
	if up.Status != "uploaded" || up.Size != bigSize || up.MimeType != "application/octet-stream" {
		t.Errorf("upload result %+v", up)
	}
	checkProgress(t, prog.snapshot(), "tok-upload_to_drive", bigSize)

	// Download it back: a new name, the same bytes, progress again.
	var down drive.DownloadResult
	callWithProgress(t, cs, "download_drive_file", args("file_id", up.FileID), &down)
	got, err := os.ReadFile(down.LocalPath)
	if err != nil || !bytes.Equal(got, big) || down.Status != "saved" || down.Size != bigSize {
		t.Fatalf("downloaded %+v: %d bytes, %v", down, len(got), err)
	}
	if down.LocalPath != filepath.Join(dir, "big.bin") {
		t.Errorf("saved at %s", down.LocalPath)
	}
	checkProgress(t, prog.snapshot(), "tok-download_drive_file", bigSize)

	tests := []struct {
		args      map[string]any
		wantName  string
		wantStart string
	}{
		{args("file_id", sandbox.SeedDriveReleaseNotesID), "Release Notes.txt", "Release 1.4.0"},
		{args("file_id", sandbox.SeedDriveReleaseNotesID), "Release Notes (1).txt", "Release 1.4.0"}, // never overwrites
		{args("file_id", sandbox.SeedDriveLaunchPlanID), "Q3 Launch Plan.pdf", "%PDF"},
		{args("file_id", sandbox.SeedDriveLaunchPlanID, "export_format", "md"), "Q3 Launch Plan.md", "# Q3 Launch Plan"},
		{args("file_id", sandbox.SeedDriveBudgetID, "export_format", "text/csv", "file_name", "budget.csv"), "budget.csv", "Category,Q1"},
		{args("file_id", sandbox.SeedDriveBrandGuidelinesID, "export_format", "txt"), "Brand Guidelines.txt", "\ufeffBrand Guidelines"},
		// A name given for the local file cannot leave the directory.
		{args("file_id", sandbox.SeedDriveReleaseNotesID, "file_name", "../../escape.txt"), "_.._escape.txt", "Release"},
	}
	for _, tc := range tests {
		var r drive.DownloadResult
		toolstest.OK(t, cs, "download_drive_file", tc.args, &r)
		b, err := os.ReadFile(filepath.Join(dir, tc.wantName))
		if err != nil || r.LocalPath != filepath.Join(dir, tc.wantName) || !strings.HasPrefix(string(b), tc.wantStart) {
			t.Errorf("%v: saved %+v, read %q, %v", tc.args, r, b, err)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "escape.txt")); err == nil {
		t.Error("a download escaped the transfer directory")
	}
}

func checkProgress(t *testing.T, items []*mcp.ProgressNotificationParams, token string, total float64) {
	t.Helper()
	var mine []*mcp.ProgressNotificationParams
	for _, p := range items {
		if p.ProgressToken == token {
			mine = append(mine, p)
		}
	}
	if len(mine) < 3 || len(mine) > 60 {
		t.Fatalf("%d progress notifications for %s", len(mine), token)
	}
	last := mine[len(mine)-1]
	if last.Progress != total || last.Total != total {
		t.Errorf("last progress %v/%v, want %v", last.Progress, last.Total, total)
	}
}

// httpEnv serves the transfer routes the way gwmcp does over HTTP: a middleware puts the
// caller's principal (named by a header here) into the request context.
func httpEnv(t *testing.T) (*toolstest.Env, *mcp.ClientSession, *httptest.Server) {
	t.Helper()
	env := toolstest.New(t)
	mux := http.NewServeMux()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := r.Header.Get("X-Test-Principal"); s != "" {
			r = r.WithContext(identity.WithPrincipal(r.Context(), identity.Principal{Subject: s}))
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	tr, err := transfer.New(transfer.Options{BaseURL: srv.URL, KV: env.KV})
	if err != nil {
		t.Fatal(err)
	}
	tr.Routes(mux)
	env.Deps.Transfers = tr
	drive.Register(env.Registry, env.Deps)
	env.Authorize(t, alice, scopeFull)
	return env, env.Connect(t, identity.Principal{}), srv
}

func send(t *testing.T, method, url string, body io.Reader, principal string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if principal != "" {
		req.Header.Set("X-Test-Principal", principal)
		req.Header.Set("Authorization", "Bearer verified-by-middleware")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func TestHTTPUploadDownload(t *testing.T) {
	env, cs, srv := httpEnv(t)
	local := env.Deps.Local.Subject

	var up drive.UploadResult
	toolstest.OK(t, cs, "upload_to_drive", args("filename", "big.bin", "folder_id", sandbox.SeedDriveMarketingID), &up)
	if up.Status != "awaiting_upload" || up.Method != "PUT" || !strings.HasPrefix(up.UploadURL, srv.URL+"/drive-upload/") || up.ExpiresAt == "" {
		t.Fatalf("upload ticket %+v", up)
	}
	// Another principal cannot use it, and trying does not burn it.
	if resp, body := send(t, http.MethodPut, up.UploadURL, strings.NewReader("evil"), "someone-else"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign upload: %d %s", resp.StatusCode, body)
	}
	big := bigContent()
	resp, body := send(t, http.MethodPut, up.UploadURL, bytes.NewReader(big), local)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	var done drive.UploadResult
	if err := json.Unmarshal(body, &done); err != nil {
		t.Fatal(err)
	}
	f, ok := env.Sandbox.DriveFile(done.FileID)
	if !ok || !bytes.Equal(f.Content, big) || f.DriveID != sandbox.SeedDriveMarketingID || done.Status != "uploaded" || done.Size != bigSize {
		t.Fatalf("uploaded %+v (%d bytes in Drive)", done, len(f.Content))
	}
	if resp, _ := send(t, http.MethodPut, up.UploadURL, strings.NewReader("again"), ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("replayed upload URL: %d", resp.StatusCode)
	}

	var down drive.DownloadResult
	toolstest.OK(t, cs, "download_drive_file", args("file_id", done.FileID), &down)
	if down.Status != "ready" || !strings.HasPrefix(down.DownloadURL, srv.URL+"/attachment-download/") || down.FileName != "big.bin" {
		t.Fatalf("download ticket %+v", down)
	}
	if resp, _ := send(t, http.MethodGet, down.DownloadURL, nil, "someone-else"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("foreign download: %d", resp.StatusCode)
	}
	resp, body = send(t, http.MethodGet, down.DownloadURL, nil, "")
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, big) {
		t.Fatalf("download: %d, %d bytes", resp.StatusCode, len(body))
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename=big.bin` {
		t.Errorf("Content-Disposition %q", cd)
	}
	if resp, _ := send(t, http.MethodGet, down.DownloadURL, nil, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("replayed download URL: %d", resp.StatusCode)
	}

	// A Doc exported through a URL, with a name that needs quoting.
	toolstest.OK(t, cs, "download_drive_file", args("file_id", sandbox.SeedDriveLaunchPlanID, "export_format", "markdown"), &down)
	resp, body = send(t, http.MethodGet, down.DownloadURL, nil, "")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "# Q3 Launch Plan") ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="Q3 Launch Plan.md"` || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/markdown") {
		t.Errorf("export download: %d %v %q", resp.StatusCode, resp.Header, body)
	}
}

func TestHTTPTransferFailures(t *testing.T) {
	env, cs, _ := httpEnv(t)
	// Google refuses the upload (bob's folder is invisible to alice): the uploader is told why.
	var up drive.UploadResult
	toolstest.OK(t, cs, "upload_to_drive", args("filename", "x.txt", "folder_id", env.Sandbox.DriveRootID(bob)), &up)
	resp, body := send(t, http.MethodPut, up.UploadURL, strings.NewReader("hello"), "")
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "not found") {
		t.Errorf("upload into bob's folder: %d %s", resp.StatusCode, body)
	}
	// The file went away between the tool call and the download.
	var down drive.DownloadResult
	toolstest.OK(t, cs, "download_drive_file", args("file_id", sandbox.SeedDriveReleaseNotesID), &down)
	toolstest.OK(t, cs, "manage_drive_files", args("operation", "delete", "permanent", true, "file_ids", []string{sandbox.SeedDriveReleaseNotesID}), nil)
	resp, body = send(t, http.MethodGet, down.DownloadURL, nil, "")
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "not found") || resp.Header.Get("Content-Disposition") != "" {
		t.Errorf("download of a deleted file: %d %s", resp.StatusCode, body)
	}
	// Quota exhausted while downloading: a 429 with Google's reason, never a 500.
	toolstest.OK(t, cs, "download_drive_file", args("file_id", sandbox.SeedDriveBudgetID), &down)
	env.Sandbox.FailAPI("drive", 10, sandbox.APIFailure{Status: 429})
	resp, body = send(t, http.MethodGet, down.DownloadURL, nil, "")
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("download under quota: %d %s", resp.StatusCode, body)
	}
	// Over HTTP a filename is needed.
	if msg := toolstest.Fails(t, cs, "upload_to_drive", args()); !strings.Contains(msg, "filename") {
		t.Errorf("upload without a name: %s", msg)
	}
}

func TestNoTransfers(t *testing.T) {
	env := newEnv(t, nil)
	env.Authorize(t, alice, scopeFull)
	cs := env.Connect(t, identity.Principal{})
	for _, c := range []struct {
		tool string
		args map[string]any
	}{
		{"upload_to_drive", args("path", "x.txt")},
		{"download_drive_file", args("file_id", sandbox.SeedDriveReleaseNotesID)},
	} {
		if msg := toolstest.Fails(t, cs, c.tool, c.args); !strings.Contains(msg, "not available on this server") {
			t.Errorf("%s without transfers: %s", c.tool, msg)
		}
	}
}
