package drive

import (
	"context"
	"mime"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"google.golang.org/api/drive/v3"
	"google.golang.org/api/googleapi"

	"github.com/gwmcp/gwmcp/internal/tools"
)

// This file holds create_drive_file and create_drive_folder.

// maxCreateContent bounds text given in a tool argument (larger content goes through
// upload_to_drive).
const maxCreateContent = 2 << 20

type createIn struct {
	tools.AccountParam
	FileName string `json:"file_name" jsonschema:"Name of the new file, e.g. notes.txt."`
	Content  string `json:"content,omitempty" jsonschema:"Text content of the file (empty creates an empty file). For large or binary files use upload_to_drive."`
	FolderID string `json:"folder_id,omitempty" jsonschema:"Id of the folder to create it in (default root, My Drive); a shared drive folder works too."`
	MimeType string `json:"mime_type,omitempty" jsonschema:"MIME type of the content (default text/plain). Use application/vnd.google-apps.document, .spreadsheet (CSV content) or .presentation to create a Google Doc, Sheet or Slides from the text."`
}

// CreatedFile is what a create or upload made.
type CreatedFile struct {
	File    FileInfo `json:"file"`
	Message string   `json:"message"`
}

type folderIn struct {
	tools.AccountParam
	FolderName     string `json:"folder_name" jsonschema:"Name of the new folder."`
	ParentFolderID string `json:"parent_folder_id,omitempty" jsonschema:"Id of the folder to create it in (default root, My Drive); a shared drive or one of its folders works too."`
}

// conversions maps a native type asked for in create_drive_file to the media type of the
// text Google converts.
var conversions = map[string]string{
	mimeDocument:     "text/plain",
	mimeSpreadsheet:  "text/csv",
	mimePresentation: "text/plain",
}

func registerCreate(r *tools.Registry, d *tools.Deps) {
	addTool(r, d, &mcp.Tool{
		Name:  "create_drive_file",
		Title: "Create a Drive file",
		Description: "Create a new file in Google Drive from text (or an empty file), in My Drive or any folder, including " +
			"shared drive folders. With mime_type set to a Google Docs, Sheets or Slides type the text is converted into " +
			"that kind of document. Returns the new file's id and link. For binary or large files use upload_to_drive.",
		Annotations: &mcp.ToolAnnotations{Title: "Create a Drive file", DestructiveHint: new(false), OpenWorldHint: new(true)},
	}, tools.Spec{Service: "drive", Scopes: []string{scopeFile}, Tier: tools.Core},
		map[string]prop{"folder_id": {def: "root"}, "mime_type": {def: "text/plain"}},
		func(ctx context.Context, c tools.Call, in createIn) (CreatedFile, error) {
			name := strings.TrimSpace(in.FileName)
			if name == "" {
				return CreatedFile{}, tools.Errorf("file_name is required: give the new file a name such as notes.txt.")
			}
			if len(in.Content) > maxCreateContent {
				return CreatedFile{}, tools.Errorf("content is larger than 2 MiB: use upload_to_drive for large files.")
			}
			folder := cmpOr(in.FolderID, "root")
			if err := checkID("folder_id", folder); err != nil {
				return CreatedFile{}, err
			}
			mt := cmpOr(strings.TrimSpace(in.MimeType), "text/plain")
			if _, _, err := mime.ParseMediaType(mt); err != nil {
				return CreatedFile{}, tools.Errorf("mime_type " + mt + " is not a MIME type such as text/plain or application/json.")
			}
			if mt == mimeFolder {
				if in.Content != "" {
					return CreatedFile{}, tools.Errorf("a folder has no content: use create_drive_folder, or leave content empty.")
				}
				return createFolder(ctx, d, c, name, folder)
			}
			srv, err := d.Clients.Drive(ctx, c.Account)
			if err != nil {
				return CreatedFile{}, err
			}
			call := srv.Files.Create(&drive.File{Name: name, Parents: []string{folder}, MimeType: mt}).
				SupportsAllDrives(true).Fields(itemFields)
			if in.Content != "" {
				media := mt
				if conv, ok := conversions[mt]; ok {
					media = conv
				} else if strings.HasPrefix(mt, "application/vnd.google-apps.") {
					return CreatedFile{}, tools.Errorf("text can only be converted into a Google Doc, Sheet or Slides; " + mt + " is not supported.")
				}
				call = call.Media(strings.NewReader(in.Content), googleapi.ContentType(media))
			}
			f, err := call.Context(ctx).Do()
			if err != nil {
				return CreatedFile{}, err
			}
			return CreatedFile{File: fileInfo(f), Message: "Created " + f.Name + " (id " + f.Id + ")."}, nil
		})

	addTool(r, d, &mcp.Tool{
		Name:  "create_drive_folder",
		Title: "Create a Drive folder",
		Description: "Create a folder in Google Drive, in My Drive or inside another folder (shared drives too). Returns the " +
			"folder's id, to use as folder_id in create_drive_file, upload_to_drive or manage_drive_files.",
		Annotations: &mcp.ToolAnnotations{Title: "Create a Drive folder", DestructiveHint: new(false), OpenWorldHint: new(true)},
	}, tools.Spec{Service: "drive", Scopes: []string{scopeFile}, Tier: tools.Extended}, map[string]prop{"parent_folder_id": {def: "root"}},
		func(ctx context.Context, c tools.Call, in folderIn) (CreatedFile, error) {
			name := strings.TrimSpace(in.FolderName)
			if name == "" {
				return CreatedFile{}, tools.Errorf("folder_name is required.")
			}
			parent := cmpOr(in.ParentFolderID, "root")
			if err := checkID("parent_folder_id", parent); err != nil {
				return CreatedFile{}, err
			}
			return createFolder(ctx, d, c, name, parent)
		})
}

func createFolder(ctx context.Context, d *tools.Deps, c tools.Call, name, parent string) (CreatedFile, error) {
	srv, err := d.Clients.Drive(ctx, c.Account)
	if err != nil {
		return CreatedFile{}, err
	}
	f, err := srv.Files.Create(&drive.File{Name: name, Parents: []string{parent}, MimeType: mimeFolder}).
		SupportsAllDrives(true).Fields(itemFields).Context(ctx).Do()
	if err != nil {
		return CreatedFile{}, err
	}
	return CreatedFile{File: fileInfo(f), Message: "Created folder " + f.Name + " (id " + f.Id + ")."}, nil
}

func cmpOr(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return strings.TrimSpace(v)
}
