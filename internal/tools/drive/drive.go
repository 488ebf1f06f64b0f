// Package drive owns gwmcp's Google Drive tools: search and listing (My Drive and shared
// drives), reading content as text, creating files and folders, uploading and downloading
// through the transfer service (local files on stdio, signed URLs over HTTP), sharing,
// and moving, copying, renaming, trashing and deleting. Tool names and parameters follow the
// Python server gwmcp replaces, so prompts written for it keep working.
package drive

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"google.golang.org/api/drive/v3"
	"google.golang.org/api/googleapi"

	"github.com/gwmcp/gwmcp/internal/tools"
	"github.com/gwmcp/gwmcp/internal/workspace"
)

// Scopes the tools declare: reads need drive.readonly; creating files needs only
// drive.file (the files gwmcp creates); changing arbitrary files (sharing, moving,
// trashing) needs drive.
const (
	scopeReadonly = "https://www.googleapis.com/auth/drive.readonly"
	scopeFile     = "https://www.googleapis.com/auth/drive.file"
	scopeFull     = "https://www.googleapis.com/auth/drive"
)

// Google-native MIME types.
const (
	mimeFolder       = "application/vnd.google-apps.folder"
	mimeDocument     = "application/vnd.google-apps.document"
	mimeSpreadsheet  = "application/vnd.google-apps.spreadsheet"
	mimePresentation = "application/vnd.google-apps.presentation"
	mimeDrawing      = "application/vnd.google-apps.drawing"
	mimeShortcut     = "application/vnd.google-apps.shortcut"
)

// Transfer kinds this package registers with the transfer service.
const (
	kindUpload   = "drive-upload"
	kindDownload = "drive-download"
)

// itemFields is the partial response of every file the tools show.
const itemFields = "id,name,mimeType,size,modifiedTime,webViewLink,driveId,parents,trashed"

// Register adds the Drive tools to r.
func Register(r *tools.Registry, d *tools.Deps) {
	registerSearch(r, d)
	registerContent(r, d)
	registerCreate(r, d)
	registerTransfer(r, d)
	registerShare(r, d)
	registerManage(r, d)
}

// FileInfo is one Drive item as the tools show it.
type FileInfo struct {
	ID           string   `json:"id" jsonschema:"The file's Drive id."`
	Name         string   `json:"name"`
	MimeType     string   `json:"mimeType"`
	IsFolder     bool     `json:"isFolder"`
	Size         int64    `json:"size,omitempty" jsonschema:"Size in bytes (binary files only)."`
	ModifiedTime string   `json:"modifiedTime,omitempty"`
	WebViewLink  string   `json:"webViewLink,omitempty"`
	DriveID      string   `json:"driveId,omitempty" jsonschema:"The shared drive holding the item, if any."`
	Parents      []string `json:"parents,omitempty"`
	Trashed      bool     `json:"trashed,omitempty"`
}

func fileInfo(f *drive.File) FileInfo {
	return FileInfo{ID: f.Id, Name: f.Name, MimeType: f.MimeType, IsFolder: f.MimeType == mimeFolder, Size: f.Size,
		ModifiedTime: f.ModifiedTime, WebViewLink: f.WebViewLink, DriveID: f.DriveId, Parents: f.Parents, Trashed: f.Trashed}
}

// idPattern is what Drive ids (files, folders, shared drives, permissions) look like. Ids are
// checked before they reach a query string, so no argument can change a query's meaning.
// validID reports whether s can be a Drive id (1 to 200 of [A-Za-z0-9_-]), so no argument
// can change a query.
func validID(s string) bool {
	if len(s) < 1 || len(s) > 200 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func checkID(name, v string) error {
	if !validID(v) {
		return tools.Errorf(name + " must be a Drive id (letters, digits, '-' and '_'), such as the id field that search_drive_files returns; got " + strconv.Quote(v) + ".")
	}
	return nil
}

func checkIDs(name string, vs []string) error {
	if len(vs) == 0 {
		return tools.Errorf(name + " must list at least one Drive file id.")
	}
	if len(vs) > 100 {
		return tools.Errorf(name + " may list at most 100 file ids per call.")
	}
	for _, v := range vs {
		if err := checkID(name, v); err != nil {
			return err
		}
	}
	return nil
}

// checkPageSize applies a default and Google's bounds.
func checkPageSize(n, def, max int) (int64, error) {
	switch {
	case n == 0:
		return int64(def), nil
	case n < 1 || n > max:
		return 0, tools.Errorf("page_size must be between 1 and " + strconv.Itoa(max) + ".")
	}
	return int64(n), nil
}

// apiStatus returns Google's HTTP status of err (0 when err is not an API error).
func apiStatus(err error) int {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return ge.Code
	}
	return 0
}

// transferError is an error the transfer service shows to the uploader or downloader with
// its status: Google's refusal described for people, never internals.
type transferError struct {
	status int
	msg    string
}

func (e *transferError) Error() string   { return e.msg }
func (e *transferError) HTTPStatus() int { return e.status }

// forTransfer turns a Google error into a transferError; other errors pass unchanged (the
// transfer service then answers a generic 502 and logs them).
func forTransfer(err error) error {
	var te *tools.ToolError
	if errors.As(err, &te) {
		return &transferError{status: http.StatusBadRequest, msg: te.Message}
	}
	if s := apiStatus(err); s >= 400 && s < 600 {
		if s >= 500 {
			s = http.StatusBadGateway
		}
		return &transferError{status: s, msg: workspace.Describe(err)}
	}
	return err
}

// progress reports MCP progress for a call whose client asked for it (a progress token in
// the request); otherwise it is nil.
func progress(ctx context.Context, c tools.Call, what string) func(done, total int64) {
	if c.Request == nil || c.Request.Session == nil || c.Request.Params == nil {
		return nil
	}
	tok := c.Request.Params.GetProgressToken()
	if tok == nil {
		return nil
	}
	return func(done, total int64) {
		p := &mcp.ProgressNotificationParams{ProgressToken: tok, Progress: float64(done), Message: what}
		if total > 0 {
			p.Total = float64(total)
		}
		_ = c.Request.Session.NotifyProgress(ctx, p)
	}
}

// escapeQuery quotes a value for a Drive query string literal.
func escapeQuery(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s)
}

// warn logs a failure the model is told about in other words.
func warn(ctx context.Context, c tools.Call, msg string, err error) {
	if c.Log != nil {
		c.Log.WarnContext(ctx, msg, "error", err.Error())
	}
}
