package drive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"google.golang.org/api/drive/v3"
	"google.golang.org/api/googleapi"

	"github.com/gwmcp/gwmcp/internal/tools"
	"github.com/gwmcp/gwmcp/internal/transfer"
)

// This file holds upload_to_drive and download_drive_file, and the handlers the transfer
// service runs for their signed URLs. Bytes stream with constant memory: uploads go to
// Drive as resumable uploads in uploadChunk pieces, downloads are copied as they arrive.

// uploadChunk is the resumable upload chunk (a multiple of Google's 256 KiB); the client
// keeps one chunk in memory per upload.
const uploadChunk = 8 << 20

type uploadIn struct {
	tools.AccountParam
	Path     string `json:"path,omitempty" jsonschema:"On a local (stdio) server: the file to upload, relative to the transfer directory gwmcp was started with (or an absolute path inside it). Over HTTP leave it empty (or give the file's name) and PUT the bytes to the returned upload_url."`
	FolderID string `json:"folder_id,omitempty" jsonschema:"Id of the Drive folder to upload into (default root, My Drive)."`
	Filename string `json:"filename,omitempty" jsonschema:"Name for the file in Drive (default: the local file's name). Required over HTTP when path is empty."`
	MimeType string `json:"mime_type,omitempty" jsonschema:"MIME type of the file (default: guessed from the name or content)."`
}

// UploadResult is an upload done (stdio) or ready to receive its bytes (HTTP).
type UploadResult struct {
	Status      string `json:"status" jsonschema:"uploaded, or awaiting_upload when the bytes must be PUT to upload_url."`
	FileID      string `json:"fileId,omitempty"`
	FileName    string `json:"fileName,omitempty"`
	MimeType    string `json:"mimeType,omitempty"`
	Size        int64  `json:"size,omitempty"`
	WebViewLink string `json:"webViewLink,omitempty"`
	FolderID    string `json:"folderId,omitempty"`
	UploadURL   string `json:"upload_url,omitempty" jsonschema:"Single-use URL to PUT the file's bytes to, before expires_at."`
	Method      string `json:"method,omitempty"`
	ExpiresAt   string `json:"expires_at,omitempty"`
	Message     string `json:"message"`
}

type downloadIn struct {
	tools.AccountParam
	FileID       string `json:"file_id" jsonschema:"Id of the file to download."`
	ExportFormat string `json:"export_format,omitempty" jsonschema:"For Google Docs, Sheets, Slides and Drawings only: the format to export to, as a MIME type or pdf, docx, xlsx, pptx, odt, ods, odp, rtf, txt, md, html, csv, tsv, epub, png, jpeg, svg (default pdf). Other files download as they are."`
	FileName     string `json:"file_name,omitempty" jsonschema:"Name to save under (default: the Drive name, with the export's extension)."`
}

// DownloadResult is a download saved (stdio) or ready to fetch (HTTP).
type DownloadResult struct {
	Status      string `json:"status" jsonschema:"saved, or ready when the content must be fetched from download_url."`
	FileID      string `json:"fileId"`
	FileName    string `json:"fileName"`
	MimeType    string `json:"mimeType" jsonschema:"MIME type of the downloaded content (the export format for native files)."`
	Size        int64  `json:"size,omitempty" jsonschema:"Bytes written (stdio) or the file's size when Drive knows it."`
	LocalPath   string `json:"local_path,omitempty" jsonschema:"Where the file was saved (stdio)."`
	DownloadURL string `json:"download_url,omitempty" jsonschema:"Single-use URL to GET the content from, before expires_at."`
	ExpiresAt   string `json:"expires_at,omitempty"`
	Message     string `json:"message"`
}

// exportAliases maps the short export names to MIME types.
var exportAliases = map[string]string{
	"pdf":      "application/pdf",
	"docx":     mimeDocx,
	"xlsx":     mimeXlsx,
	"pptx":     mimePptx,
	"odt":      "application/vnd.oasis.opendocument.text",
	"ods":      "application/vnd.oasis.opendocument.spreadsheet",
	"odp":      "application/vnd.oasis.opendocument.presentation",
	"rtf":      "application/rtf",
	"txt":      "text/plain",
	"text":     "text/plain",
	"md":       "text/markdown",
	"markdown": "text/markdown",
	"html":     "text/html",
	"csv":      "text/csv",
	"tsv":      "text/tab-separated-values",
	"epub":     "application/epub+zip",
	"png":      "image/png",
	"jpeg":     "image/jpeg",
	"jpg":      "image/jpeg",
	"svg":      "image/svg+xml",
}

// exportExt is the file extension of an export format.
var exportExt = map[string]string{
	"application/pdf": ".pdf", mimeDocx: ".docx", mimeXlsx: ".xlsx", mimePptx: ".pptx",
	"application/vnd.oasis.opendocument.text": ".odt", "application/vnd.oasis.opendocument.spreadsheet": ".ods",
	"application/vnd.oasis.opendocument.presentation": ".odp", "application/rtf": ".rtf", "text/plain": ".txt",
	"text/markdown": ".md", "text/html": ".html", "text/csv": ".csv", "text/tab-separated-values": ".tsv",
	"application/epub+zip": ".epub", "image/png": ".png", "image/jpeg": ".jpg", "image/svg+xml": ".svg",
}

func registerTransfer(r *tools.Registry, d *tools.Deps) {
	if d.Transfers != nil {
		d.Transfers.HandleUpload(kindUpload, func(ctx context.Context, account string, params map[string]string, body io.Reader, size int64) (any, error) {
			res, err := uploadStream(ctx, d, account, params["name"], params["folder"], params["mime"], body)
			if err != nil {
				return nil, forTransfer(err)
			}
			return res, nil
		})
		d.Transfers.HandleDownload(kindDownload, func(ctx context.Context, account string, params map[string]string, w http.ResponseWriter) error {
			return forTransfer(serveDownload(ctx, d, account, params, w))
		})
	}

	addTool(r, d, &mcp.Tool{
		Name:  "upload_to_drive",
		Title: "Upload a file to Drive",
		Description: "Upload a file of any size or type to Google Drive without passing its bytes through the conversation. " +
			"On a local (stdio) server give path, a file in gwmcp's transfer directory; it is streamed to Drive with progress " +
			"and the new file's id and link are returned. Over HTTP the tool returns a single-use upload_url (valid 10 minutes): " +
			"PUT the bytes there (for example curl -T FILE URL) and the response describes the new Drive file.",
		Annotations: &mcp.ToolAnnotations{Title: "Upload a file to Drive", DestructiveHint: new(false), OpenWorldHint: new(true)},
	}, tools.Spec{Service: "drive", Scopes: []string{scopeFile}, Tier: tools.Core}, map[string]prop{"folder_id": {def: "root"}},
		func(ctx context.Context, c tools.Call, in uploadIn) (UploadResult, error) {
			if d.Transfers == nil {
				return UploadResult{}, tools.Errorf("Uploads are not available on this server (no transfer directory or public URL is configured).")
			}
			folder := cmpOr(in.FolderID, "root")
			if err := checkID("folder_id", folder); err != nil {
				return UploadResult{}, err
			}
			if in.MimeType != "" {
				if _, _, err := mime.ParseMediaType(in.MimeType); err != nil {
					return UploadResult{}, tools.Errorf("mime_type " + strconv.Quote(in.MimeType) + " is not a MIME type such as application/pdf.")
				}
			}
			if d.Transfers.Local() {
				return uploadLocal(ctx, d, c, in, folder)
			}
			name := strings.TrimSpace(in.Filename)
			if name == "" {
				name = path.Base(filepath.ToSlash(strings.TrimSpace(in.Path)))
			}
			if name == "" || name == "." || name == "/" {
				return UploadResult{}, tools.Errorf("Give filename, the name the file should have in Drive (for example report.pdf).")
			}
			u, exp, err := d.Transfers.UploadURL(ctx, c.Principal, c.Account, kindUpload,
				map[string]string{"name": name, "folder": folder, "mime": in.MimeType})
			if err != nil {
				warn(ctx, c, "drive: minting an upload URL failed", err)
				return UploadResult{}, tools.Errorf("An upload URL could not be made on this server right now; try again, or ask the administrator to check BASE_URL and the store.")
			}
			return UploadResult{Status: "awaiting_upload", FileName: name, FolderID: folder, UploadURL: u, Method: http.MethodPut,
				ExpiresAt: exp.UTC().Format(time.RFC3339),
				Message: "PUT the file's bytes to upload_url before " + exp.UTC().Format(time.RFC3339) + " (for example: curl -T '" + name +
					"' '" + u + "'). The URL works once; its response is JSON describing the new Drive file."}, nil
		})

	addTool(r, d, &mcp.Tool{
		Name:  "download_drive_file",
		Title: "Download a Drive file",
		Description: "Download a Drive file's bytes without passing them through the conversation: binary files as they are, " +
			"Google Docs, Sheets, Slides and Drawings exported (export_format, default pdf). On a local (stdio) server the file " +
			"is saved in gwmcp's transfer directory (never replacing an existing file) and its path returned; over HTTP a " +
			"single-use download_url (valid 10 minutes) is returned. To read text, use get_drive_file_content instead.",
		Annotations: &mcp.ToolAnnotations{Title: "Download a Drive file", ReadOnlyHint: true, OpenWorldHint: new(true)},
	}, tools.Spec{Service: "drive", Scopes: []string{scopeReadonly}, Tier: tools.Extended}, nil,
		func(ctx context.Context, c tools.Call, in downloadIn) (DownloadResult, error) {
			if d.Transfers == nil {
				return DownloadResult{}, tools.Errorf("Downloads are not available on this server (no transfer directory or public URL is configured).")
			}
			if err := checkID("file_id", in.FileID); err != nil {
				return DownloadResult{}, err
			}
			srv, err := d.Clients.Drive(ctx, c.Account)
			if err != nil {
				return DownloadResult{}, err
			}
			f, err := srv.Files.Get(in.FileID).SupportsAllDrives(true).Fields("id,name,mimeType,size").Context(ctx).Do()
			if err != nil {
				return DownloadResult{}, err
			}
			plan, err := planDownload(f, in.ExportFormat, in.FileName)
			if err != nil {
				return DownloadResult{}, err
			}
			out := DownloadResult{FileID: f.Id, FileName: plan.name, MimeType: plan.mime, Size: f.Size}
			if d.Transfers.Local() {
				return downloadLocal(ctx, d, c, srv, plan, out)
			}
			u, exp, err := d.Transfers.DownloadURL(ctx, c.Principal, c.Account, kindDownload,
				map[string]string{"file": f.Id, "export": plan.export, "name": plan.name, "mime": plan.mime})
			if err != nil {
				warn(ctx, c, "drive: minting a download URL failed", err)
				return DownloadResult{}, tools.Errorf("A download URL could not be made on this server right now; try again, or ask the administrator to check BASE_URL and the store.")
			}
			out.Status, out.DownloadURL, out.ExpiresAt = "ready", u, exp.UTC().Format(time.RFC3339)
			out.Message = "GET download_url before " + out.ExpiresAt + " to receive " + plan.name + " (for example: curl -o '" +
				plan.name + "' '" + u + "'). The URL works once."
			return out, nil
		})
}

// downloadPlan is what a download fetches and how it is named.
type downloadPlan struct {
	id, name, mime string
	export         string // export MIME type for native files, "" for media
}

func planDownload(f *drive.File, format, name string) (downloadPlan, error) {
	p := downloadPlan{id: f.Id, mime: f.MimeType}
	native := strings.HasPrefix(f.MimeType, "application/vnd.google-apps.")
	switch {
	case f.MimeType == mimeFolder:
		return p, tools.Errorf(f.Name + " is a folder; download its files one by one (list_drive_items lists them).")
	case f.MimeType == mimeShortcut || (native && f.MimeType != mimeDocument && f.MimeType != mimeSpreadsheet &&
		f.MimeType != mimePresentation && f.MimeType != mimeDrawing):
		return p, tools.Errorf(f.Name + " (" + f.MimeType + ") cannot be downloaded; open it with its web link.")
	case native:
		e := strings.ToLower(strings.TrimSpace(format))
		if e == "" {
			e = "application/pdf"
		} else if m, ok := exportAliases[strings.TrimPrefix(e, ".")]; ok {
			e = m
		} else if _, _, err := mime.ParseMediaType(e); err != nil || !strings.Contains(e, "/") {
			return p, tools.Errorf("export_format " + strconv.Quote(format) + " is not known: use a MIME type or pdf, docx, xlsx, pptx, txt, md, html, csv.")
		}
		p.export, p.mime = e, e
	case format != "":
		return p, tools.Errorf(f.Name + " is not a Google Docs, Sheets, Slides or Drawings file, so it cannot be exported: leave export_format empty to download it as it is.")
	}
	p.name = safeName(cmpOr(name, f.Name), f.Id)
	if p.export != "" && name == "" {
		if ext := exportExt[p.export]; ext != "" && !strings.EqualFold(filepath.Ext(p.name), ext) {
			p.name += ext
		}
	}
	return p, nil
}

// safeName makes a Drive name usable as one local file name: no separators, no control
// characters, not "." or "..".
func safeName(name, fallback string) string {
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < 0x20 || r == 0x7f {
			return '_'
		}
		return r
	}, strings.TrimSpace(name))
	name = strings.TrimLeft(name, ".")
	if name == "" {
		return fallback
	}
	return cutUTF8(name, 200)
}

// open starts the content stream of a planned download.
func (p downloadPlan) open(ctx context.Context, srv *drive.Service) (*http.Response, error) {
	if p.export != "" {
		return srv.Files.Export(p.id, p.export).Context(ctx).Download()
	}
	return srv.Files.Get(p.id).SupportsAllDrives(true).Context(ctx).Download()
}

func downloadLocal(ctx context.Context, d *tools.Deps, c tools.Call, srv *drive.Service, p downloadPlan, out DownloadResult) (DownloadResult, error) {
	resp, err := p.open(ctx, srv)
	if err != nil {
		return DownloadResult{}, err
	}
	defer resp.Body.Close()
	f, local, err := d.Transfers.CreateLocal(p.name)
	if err != nil {
		return DownloadResult{}, tools.Errorf("Could not create " + strconv.Quote(p.name) + " in the transfer directory; give another file_name.")
	}
	n, err := io.Copy(f, progressOf(resp.Body, resp.ContentLength, progress(ctx, c, "Downloading "+p.name)))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(local) // a partial file must not pass for the whole one
		return DownloadResult{}, fmt.Errorf("drive: download %s: %w", p.id, err)
	}
	out.Status, out.LocalPath, out.Size, out.FileName = "saved", local, n, filepath.Base(local)
	out.Message = "Saved " + humanSize(n) + " to " + local + "."
	return out, nil
}

// serveDownload streams a download URL's content (the transfer service's handler).
func serveDownload(ctx context.Context, d *tools.Deps, account string, params map[string]string, w http.ResponseWriter) error {
	srv, err := d.Clients.Drive(ctx, account)
	if err != nil {
		return err
	}
	p := downloadPlan{id: params["file"], name: params["name"], mime: params["mime"], export: params["export"]}
	resp, err := p.open(ctx, srv)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	ct := cmpOr(resp.Header.Get("Content-Type"), cmpOr(p.mime, "application/octet-stream"))
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": p.name}))
	if resp.ContentLength >= 0 {
		h.Set("Content-Length", strconv.FormatInt(resp.ContentLength, 10))
	}
	_, err = io.Copy(w, resp.Body)
	return err
}

func uploadLocal(ctx context.Context, d *tools.Deps, c tools.Call, in uploadIn, folder string) (UploadResult, error) {
	if strings.TrimSpace(in.Path) == "" {
		return UploadResult{}, tools.Errorf("Give path, the file to upload, relative to gwmcp's transfer directory.")
	}
	f, err := d.Transfers.OpenLocal(in.Path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return UploadResult{}, tools.Errorf("There is no file " + strconv.Quote(in.Path) + " in gwmcp's transfer directory; paths are relative to it.")
		}
		return UploadResult{}, tools.Errorf("Cannot upload " + strconv.Quote(in.Path) + ": only regular files inside gwmcp's transfer directory can be uploaded (no folders, and no paths or links leading outside it).")
	}
	defer f.Close()
	size := int64(-1)
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	name := cmpOr(in.Filename, filepath.Base(in.Path))
	body := progressOf(f, size, progress(ctx, c, "Uploading "+name))
	return uploadStream(ctx, d, c.Account, name, folder, in.MimeType, body)
}

// uploadStream creates a Drive file from a stream as a resumable upload.
func uploadStream(ctx context.Context, d *tools.Deps, account, name, folder, mt string, body io.Reader) (UploadResult, error) {
	srv, err := d.Clients.Drive(ctx, account)
	if err != nil {
		return UploadResult{}, err
	}
	opts := []googleapi.MediaOption{googleapi.ChunkSize(uploadChunk)}
	if mt == "" {
		mt = mime.TypeByExtension(filepath.Ext(name))
	}
	if mt != "" {
		opts = append(opts, googleapi.ContentType(mt))
	}
	f, err := srv.Files.Create(&drive.File{Name: name, Parents: []string{folder}}).Media(body, opts...).
		SupportsAllDrives(true).Fields(itemFields).Context(ctx).Do()
	if err != nil {
		return UploadResult{}, err
	}
	return UploadResult{Status: "uploaded", FileID: f.Id, FileName: f.Name, MimeType: f.MimeType, Size: f.Size,
		WebViewLink: f.WebViewLink, FolderID: folder, Message: "Uploaded " + f.Name + " (" + humanSize(f.Size) + ", id " + f.Id + ")."}, nil
}

// progressOf reports reading r as MCP progress (nil report: r itself).
func progressOf(r io.Reader, total int64, report func(done, total int64)) io.Reader {
	if report == nil {
		return r
	}
	return transfer.ProgressReader(r, total, report)
}
