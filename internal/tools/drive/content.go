package drive

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"google.golang.org/api/drive/v3"

	"github.com/gwmcp/gwmcp/internal/tools"
)

// This file holds get_drive_file_content: a file's content as text a model can read.

const (
	// maxText bounds the text a tool result carries.
	maxText = 100_000
	// maxOfficeDownload bounds the Office files read to extract their text.
	maxOfficeDownload = 25 << 20
)

// nativeExports is the text format each Google-native type is read as, best first.
var nativeExports = map[string][]string{
	mimeDocument:     {"text/markdown", "text/plain"},
	mimeSpreadsheet:  {"text/csv"},
	mimePresentation: {"text/plain"},
}

type contentIn struct {
	tools.AccountParam
	FileID string `json:"file_id" jsonschema:"Id of the file to read (from search_drive_files or list_drive_items)."`
}

// FileContent is a file's text, or a description when it has none to show.
type FileContent struct {
	File       FileInfo `json:"file"`
	ExportedAs string   `json:"exportedAs,omitempty" jsonschema:"The MIME type of the text shown (for Google Docs, Sheets and Slides, the export format)."`
	Content    string   `json:"content" jsonschema:"The text; empty for folders and binary files."`
	Truncated  bool     `json:"truncated,omitempty" jsonschema:"True when only the beginning of the text is shown."`
	Note       string   `json:"note,omitempty"`
}

func registerContent(r *tools.Registry, d *tools.Deps) {
	addTool(r, d, &mcp.Tool{
		Name:  "get_drive_file_content",
		Title: "Read a Drive file",
		Description: "Read a Drive file as text: Google Docs as Markdown, Sheets as CSV (first sheet), Slides as plain text, " +
			"Word/Excel/PowerPoint files as their extracted text, and text, CSV, JSON or Markdown files as they are. " +
			"Long text is cut at 100,000 bytes (truncated=true). Binary files (PDF, images, archives) are described, not " +
			"dumped: use download_drive_file to get their bytes.",
		Annotations: &mcp.ToolAnnotations{Title: "Read a Drive file", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: new(true)},
	}, tools.Spec{Service: "drive", Scopes: []string{scopeReadonly}, Tier: tools.Core}, nil,
		func(ctx context.Context, c tools.Call, in contentIn) (FileContent, error) {
			if err := checkID("file_id", in.FileID); err != nil {
				return FileContent{}, err
			}
			srv, err := d.Clients.Drive(ctx, c.Account)
			if err != nil {
				return FileContent{}, err
			}
			f, err := srv.Files.Get(in.FileID).SupportsAllDrives(true).Fields(itemFields).Context(ctx).Do()
			if err != nil {
				return FileContent{}, err
			}
			out := FileContent{File: fileInfo(f)}
			mime := f.MimeType
			switch {
			case mime == mimeFolder:
				out.Note = "This is a folder: use list_drive_items with folder_id=" + f.Id + " to see what it holds."
			case nativeExports[mime] != nil:
				err = readExport(ctx, srv, f.Id, nativeExports[mime], &out)
				if mime == mimeSpreadsheet && err == nil {
					out.Note = strings.TrimSpace(out.Note + " Only the first sheet is exported as CSV.")
				}
			case strings.HasPrefix(mime, "application/vnd.google-apps."):
				out.Note = "This Google " + strings.TrimPrefix(mime, "application/vnd.google-apps.") +
					" has no text form; open it with its web link."
			case mime == mimeDocx || mime == mimeXlsx || mime == mimePptx:
				err = readOffice(ctx, srv, f.Id, f.Size, mime, &out)
			case isText(mime):
				err = readText(ctx, srv, f.Id, mime, &out)
			default:
				out.Note = describeBinary(f.Name, mime, f.Size)
			}
			if err != nil {
				return FileContent{}, err
			}
			return out, nil
		})
}

// readExport exports a native file in the first format Google accepts.
func readExport(ctx context.Context, srv *drive.Service, id string, formats []string, out *FileContent) error {
	var lastErr error
	for _, mt := range formats {
		resp, err := srv.Files.Export(id, mt).Context(ctx).Download()
		if err != nil {
			// A format this file cannot be exported to is a 400: try the next one.
			if apiStatus(err) == http.StatusBadRequest {
				lastErr = err
				continue
			}
			return err
		}
		text, truncated, err := readBounded(resp.Body, maxText)
		resp.Body.Close()
		if err != nil {
			return err
		}
		text = strings.TrimPrefix(text, "\ufeff")
		text = strings.ReplaceAll(text, "\r\n", "\n")
		out.ExportedAs, out.Content, out.Truncated = mt, text, truncated
		if truncated {
			out.Note = truncatedNote()
		}
		return nil
	}
	return lastErr
}

func readText(ctx context.Context, srv *drive.Service, id, mime string, out *FileContent) error {
	resp, err := srv.Files.Get(id).SupportsAllDrives(true).Context(ctx).Download()
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	text, truncated, err := readBounded(resp.Body, maxText)
	if err != nil {
		return err
	}
	if !utf8.ValidString(text) {
		out.Note = describeBinary(out.File.Name, mime, out.File.Size) + " Its bytes are not UTF-8 text."
		return nil
	}
	out.ExportedAs, out.Content, out.Truncated = mime, strings.TrimPrefix(text, "\ufeff"), truncated
	if truncated {
		out.Note = truncatedNote()
	}
	return nil
}

func readOffice(ctx context.Context, srv *drive.Service, id string, size int64, mime string, out *FileContent) error {
	if size > maxOfficeDownload {
		out.Note = describeBinary(out.File.Name, mime, size) + " It is too large to extract its text here (over 25 MiB)."
		return nil
	}
	resp, err := srv.Files.Get(id).SupportsAllDrives(true).Context(ctx).Download()
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxOfficeDownload+1))
	if err != nil {
		return fmt.Errorf("drive: read office file: %w", err)
	}
	if len(data) > maxOfficeDownload {
		out.Note = describeBinary(out.File.Name, mime, int64(len(data))) + " It is too large to extract its text here (over 25 MiB)."
		return nil
	}
	text, truncated, err := officeText(data, mime, maxText)
	if err != nil {
		out.Note = describeBinary(out.File.Name, mime, size) + " Its text could not be extracted (the file looks damaged)."
		return nil
	}
	out.ExportedAs, out.Content, out.Truncated = "text/plain", text, truncated
	if truncated {
		out.Note = truncatedNote()
	}
	return nil
}

// readBounded reads at most limit bytes of text, cut on a character boundary; truncated
// says more followed.
func readBounded(r io.Reader, limit int) (string, bool, error) {
	b, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return "", false, fmt.Errorf("drive: read content: %w", err)
	}
	if len(b) <= limit {
		return string(b), false, nil
	}
	return cutUTF8(string(b), limit), true, nil
}

// cutUTF8 cuts s to at most n bytes without splitting a character.
func cutUTF8(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func truncatedNote() string {
	return "Only the first " + strconv.Itoa(maxText) + " bytes are shown; use download_drive_file for the whole file."
}

// isText reports whether a MIME type is text a model can read as it is.
func isText(mime string) bool {
	if strings.HasPrefix(mime, "text/") {
		return true
	}
	switch mime {
	case "application/json", "application/xml", "application/javascript", "application/x-javascript",
		"application/x-yaml", "application/yaml", "application/x-sh", "application/sql", "application/x-ndjson",
		"application/ld+json", "application/rtf", "image/svg+xml", "application/toml", "application/x-python-code":
		return true
	}
	return strings.HasSuffix(mime, "+json") || strings.HasSuffix(mime, "+xml")
}

func describeBinary(name, mime string, size int64) string {
	s := name + " is a binary file (" + mime
	if size > 0 {
		s += ", " + humanSize(size)
	}
	return s + "); its content is not shown. Use download_drive_file to get it."
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<30:
		return strconv.FormatFloat(float64(n)/(1<<30), 'f', 1, 64) + " GiB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
