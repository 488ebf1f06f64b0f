package gmail

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	gmailapi "google.golang.org/api/gmail/v1"

	"github.com/gwmcp/gwmcp/internal/tools"
)

// This file holds download_gmail_attachment. The bytes never travel through the tool result:
// on stdio the attachment is written under the configured local directory and the result
// names the file; over HTTP the result carries a single-use URL, and serveAttachment streams
// the attachment from Gmail when that URL is fetched.

// DownloadInput is the input of download_gmail_attachment.
type DownloadInput struct {
	tools.AccountParam
	MessageID string `json:"message_id" jsonschema:"The message that carries the attachment."`
	Filename  string `json:"filename" jsonschema:"The attachment's file name, as listed by get_gmail_message_content."`
	SaveDir   string `json:"save_dir,omitempty" jsonschema:"Local use only: a sub-folder of gwmcp's download folder to save into."`
}

// DownloadOutput says where the attachment is.
type DownloadOutput struct {
	MessageID   string `json:"message_id"`
	Filename    string `json:"filename"`
	MimeType    string `json:"mime_type"`
	Size        int64  `json:"size" jsonschema:"Size in bytes."`
	FilePath    string `json:"file_path,omitempty" jsonschema:"Where the file was saved (local use)."`
	DownloadURL string `json:"download_url,omitempty" jsonschema:"A single-use link to fetch the file (remote use); give it to the person or fetch it once."`
	ExpiresAt   string `json:"expires_at,omitempty" jsonschema:"When download_url stops working (RFC 3339)."`
}

func (k *kit) registerAttachments(r *tools.Registry) {
	add(r, k.d, &mcp.Tool{Name: "download_gmail_attachment",
		Annotations: &mcp.ToolAnnotations{Title: "Download a Gmail attachment", DestructiveHint: new(false), IdempotentHint: true,
			OpenWorldHint: new(true)},
		Description: "Download a file attached to a Gmail message, by the message id and the attachment's file name (list " +
			"them with get_gmail_message_content). Run locally, the file is saved under gwmcp's download folder and " +
			"file_path says where; run remotely, download_url is a short-lived single-use link to the file. The content " +
			"itself is never returned in the result."},
		tools.Spec{Scopes: []string{ScopeReadonly}, Tier: tools.Extended}, nil, k.download)
}

// findAttachment reads a message and returns the attachment part of that file name.
func findAttachment(ctx context.Context, svc *gmailapi.Service, messageID, filename string) (*gmailapi.MessagePart, error) {
	m, err := svc.Users.Messages.Get("me", messageID).Format("full").Context(ctx).Do()
	if err != nil {
		return nil, err
	}
	parts := attachmentParts(m.Payload)
	var names []string
	for _, p := range parts {
		if p.Filename == filename {
			return p, nil
		}
		names = append(names, p.Filename)
	}
	if len(names) == 0 {
		return nil, tools.Errorf(fmt.Sprintf("Message %s has no attachments.", messageID))
	}
	return nil, tools.Errorf(fmt.Sprintf("Message %s has no attachment named %q; its attachments are: %s.", messageID, filename,
		strings.Join(names, ", ")))
}

// attachmentData returns a part's bytes (inline data, or fetched by attachment id).
func attachmentData(ctx context.Context, svc *gmailapi.Service, messageID string, p *gmailapi.MessagePart) ([]byte, error) {
	if p.Body == nil {
		return nil, nil
	}
	data := p.Body.Data
	if data == "" && p.Body.AttachmentId != "" {
		b, err := svc.Users.Messages.Attachments.Get("me", messageID, p.Body.AttachmentId).Context(ctx).Do()
		if err != nil {
			return nil, err
		}
		data = b.Data
	}
	out, err := base64.URLEncoding.DecodeString(data)
	if err != nil {
		if out, err = base64.RawURLEncoding.DecodeString(data); err != nil {
			return nil, fmt.Errorf("decoding attachment data: %w", err)
		}
	}
	return out, nil
}

func (k *kit) download(ctx context.Context, c tools.Call, in DownloadInput) (DownloadOutput, error) {
	if strings.TrimSpace(in.MessageID) == "" || strings.TrimSpace(in.Filename) == "" {
		return DownloadOutput{}, tools.Errorf("message_id and filename are required (get_gmail_message_content lists a message's attachments).")
	}
	if k.d.Transfers == nil {
		return DownloadOutput{}, tools.Errorf("This gwmcp server is not set up for file transfers, so attachments cannot be downloaded here.")
	}
	svc, err := k.d.Clients.Gmail(ctx, c.Account)
	if err != nil {
		return DownloadOutput{}, err
	}
	p, err := findAttachment(ctx, svc, in.MessageID, in.Filename)
	if err != nil {
		return DownloadOutput{}, err
	}
	out := DownloadOutput{MessageID: in.MessageID, Filename: p.Filename, MimeType: p.MimeType}
	if p.Body != nil {
		out.Size = p.Body.Size
	}
	if !k.d.Transfers.Local() {
		u, exp, err := k.d.Transfers.DownloadURL(ctx, c.Principal, c.Account, DownloadKind,
			map[string]string{"message_id": in.MessageID, "filename": p.Filename})
		if err != nil {
			return DownloadOutput{}, fmt.Errorf("making the download link: %w", err)
		}
		out.DownloadURL, out.ExpiresAt = u, exp.UTC().Format(time.RFC3339)
		return out, nil
	}
	name, err := localName(in.SaveDir, p.Filename)
	if err != nil {
		return DownloadOutput{}, err
	}
	data, err := attachmentData(ctx, svc, in.MessageID, p)
	if err != nil {
		return DownloadOutput{}, err
	}
	// The transfer service never overwrites: a taken name becomes "name (1).ext".
	f, filePath, err := k.d.Transfers.CreateLocal(name)
	if err != nil {
		return DownloadOutput{}, tools.Errorf("The attachment could not be saved in gwmcp's download folder: " + describeLocalError(err))
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return DownloadOutput{}, fmt.Errorf("writing %s: %w", filePath, werr)
	}
	out.FilePath, out.Size = filePath, int64(len(data))
	return out, nil
}

// localName is the relative path an attachment is saved under: the file name without any
// directory part (an attachment names itself; it must not choose where it lands), in the
// optional sub-folder.
func localName(dir, filename string) (string, error) {
	base := path.Base(strings.ReplaceAll(filename, "\\", "/"))
	base = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == ':' {
			return '_'
		}
		return r
	}, base)
	if base == "." || base == ".." || base == "/" || strings.TrimSpace(base) == "" {
		base = "attachment"
	}
	dir = strings.TrimSpace(dir)
	if dir == "" {
		return base, nil
	}
	if filepath.IsAbs(dir) || !filepath.IsLocal(dir) {
		return "", tools.Errorf("save_dir must be a relative sub-folder of gwmcp's download folder (no absolute path, no '..').")
	}
	return filepath.Join(dir, base), nil
}

func describeLocalError(err error) string {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return "permission denied."
	case errors.Is(err, fs.ErrNotExist):
		return "the folder does not exist."
	}
	return "the path is not allowed or the disk refused the write."
}

// statusError is a download failure with the HTTP status and message the transfer service
// should answer with (it looks for an HTTPStatus method).
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string   { return e.msg }
func (e *statusError) HTTPStatus() int { return e.status }

// serveAttachment streams an attachment to the holder of a download URL: the message is
// read afresh (attachment ids change) and the file sent with its type and name.
func (k *kit) serveAttachment(ctx context.Context, account string, params map[string]string, w http.ResponseWriter) error {
	svc, err := k.d.Clients.Gmail(ctx, account)
	if err != nil {
		return err
	}
	messageID, filename := params["message_id"], params["filename"]
	p, err := findAttachment(ctx, svc, messageID, filename)
	var te *tools.ToolError
	if isNotFound(err) || errors.As(err, &te) {
		return &statusError{status: http.StatusNotFound, msg: "The attachment is no longer in that message."}
	}
	if err != nil {
		return err
	}
	data, err := attachmentData(ctx, svc, messageID, p)
	if err != nil {
		return err
	}
	ctype := p.MimeType
	if _, _, perr := mime.ParseMediaType(ctype); perr != nil || ctype == "" {
		ctype = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	disp := mime.FormatMediaType("attachment", map[string]string{"filename": path.Base(p.Filename)})
	h.Set("Content-Disposition", cmp.Or(disp, "attachment"))
	h.Set("X-Content-Type-Options", "nosniff")
	_, err = w.Write(data)
	return err
}
