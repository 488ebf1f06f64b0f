package drive

import (
	"context"
	"regexp"
	"strings"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"google.golang.org/api/drive/v3"

	"github.com/gwmcp/gwmcp/internal/tools"
)

// This file holds search_drive_files, list_drive_items and list_shared_drives.

// corporaParams are the shared-drive parameters of the listing tools.
type corporaParams struct {
	DriveID                   string `json:"drive_id,omitempty" jsonschema:"Id of a shared drive to search or list (list_shared_drives gives the ids). Leave empty for everything you can see."`
	IncludeItemsFromAllDrives bool   `json:"include_items_from_all_drives,omitempty" jsonschema:"Include items of shared drives (default true)."`
	Corpora                   string `json:"corpora,omitempty" jsonschema:"Which items to search: user (yours and shared with you), domain, drive (one shared drive: needs drive_id) or allDrives. Default: drive when drive_id is given, else user."`
}

// apply sets the corpora parameters on a files.list call the way Google requires them.
func (p corporaParams) apply(call *drive.FilesListCall) (*drive.FilesListCall, error) {
	switch p.Corpora {
	case "", "user", "domain", "allDrives":
	case "drive":
		if p.DriveID == "" {
			return nil, tools.Errorf("corpora 'drive' needs drive_id, the id of the shared drive to search (list_shared_drives gives it).")
		}
	default:
		return nil, tools.Errorf("corpora must be one of user, domain, drive or allDrives.")
	}
	call = call.SupportsAllDrives(true)
	include := p.IncludeItemsFromAllDrives
	if p.DriveID != "" {
		if err := checkID("drive_id", p.DriveID); err != nil {
			return nil, err
		}
		if p.Corpora != "" && p.Corpora != "drive" {
			return nil, tools.Errorf("with drive_id, corpora must be 'drive' (or left empty).")
		}
		call = call.DriveId(p.DriveID).Corpora("drive")
		include = true // Google requires it with a shared drive
	} else if p.Corpora != "" {
		call = call.Corpora(p.Corpora)
		if p.Corpora == "allDrives" {
			include = true
		}
	}
	return call.IncludeItemsFromAllDrives(include), nil
}

type searchIn struct {
	tools.AccountParam
	Query     string `json:"query" jsonschema:"What to find: plain words search names and content (fullText), or a Drive query such as name contains 'report' and mimeType = 'application/pdf'."`
	PageSize  int    `json:"page_size,omitempty" jsonschema:"How many results per page (1-1000, default 10)."`
	PageToken string `json:"page_token,omitempty" jsonschema:"next_page_token of a previous call, to get the next page."`
	corporaParams
}

// FileList is a page of Drive items.
type FileList struct {
	Files         []FileInfo `json:"files"`
	Count         int        `json:"count"`
	Query         string     `json:"query,omitempty" jsonschema:"The Drive query that ran."`
	NextPageToken string     `json:"nextPageToken,omitempty" jsonschema:"Pass as page_token to get more results; absent on the last page."`
}

// structuredQuery recognises Drive's query language: a known field followed by an operator,
// or 'value' in parents/owners/writers/readers. Anything else is free text.
var structuredQuery = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)(\b(name|fulltext|mimetype|modifiedtime|viewedbymetime|createdtime|trashed|starred|sharedwithme|properties|appproperties|visibility|parents|owners|writers|readers|memberCount|organizerCount|shortcutDetails\.targetId)\s*(=|!=|<=|>=|<|>|\bcontains\b|\bhas\b))|('[^']*'\s+in\s+(parents|owners|writers|readers)\b)`)
})

// driveQuery turns the tool's query into a Drive query: a structured query runs as it is;
// free text searches names and content among items not in the trash.
func driveQuery(q string) string {
	q = strings.TrimSpace(q)
	if structuredQuery().MatchString(q) {
		return q
	}
	return "fullText contains '" + escapeQuery(q) + "' and trashed = false"
}

func registerSearch(r *tools.Registry, d *tools.Deps) {
	addTool(r, d, &mcp.Tool{
		Name:  "search_drive_files",
		Title: "Search Google Drive",
		Description: "Search files and folders in Google Drive, including shared drives. Use plain words to search names and " +
			"content, or Drive's query language (name contains 'x', mimeType = '...', modifiedTime > '2026-01-01', " +
			"'FOLDER_ID' in parents, starred = true). Returns ids, names, types, sizes, modification times and links; " +
			"pass next_page_token back as page_token for more. Use get_drive_file_content to read a file.",
		Annotations: &mcp.ToolAnnotations{Title: "Search Google Drive", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: new(true)},
	}, tools.Spec{Service: "drive", Scopes: []string{scopeReadonly}, Tier: tools.Core}, corporaProps,
		func(ctx context.Context, c tools.Call, in searchIn) (FileList, error) {
			if strings.TrimSpace(in.Query) == "" {
				return FileList{}, tools.Errorf("query is empty: give words to find, or a Drive query such as name contains 'budget'.")
			}
			size, err := checkPageSize(in.PageSize, 10, 1000)
			if err != nil {
				return FileList{}, err
			}
			q := driveQuery(in.Query)
			return listFiles(ctx, d, c, q, size, in.PageToken, in.corporaParams, "")
		})

	addTool(r, d, &mcp.Tool{
		Name:  "list_drive_items",
		Title: "List Drive folder",
		Description: "List the files and folders directly inside a Drive folder (default: the root of My Drive), " +
			"folders first. For a shared drive give drive_id (its root is listed when folder_id is left as root). " +
			"Returns ids, names, types, sizes and links; pass next_page_token back as page_token for more.",
		Annotations: &mcp.ToolAnnotations{Title: "List Drive folder", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: new(true)},
	}, tools.Spec{Service: "drive", Scopes: []string{scopeReadonly}, Tier: tools.Core}, corporaProps,
		func(ctx context.Context, c tools.Call, in listIn) (FolderList, error) {
			folder := in.FolderID
			if folder == "" || folder == "root" {
				folder = "root"
				if in.DriveID != "" {
					folder = in.DriveID
				}
			}
			if err := checkID("folder_id", folder); err != nil {
				return FolderList{}, err
			}
			size, err := checkPageSize(in.PageSize, 100, 1000)
			if err != nil {
				return FolderList{}, err
			}
			// Google answers an empty list for a folder that does not exist or is not visible;
			// looking the folder up first tells the model which it is.
			srv, err := d.Clients.Drive(ctx, c.Account)
			if err != nil {
				return FolderList{}, err
			}
			f, err := srv.Files.Get(folder).SupportsAllDrives(true).Fields("id,name,mimeType").Context(ctx).Do()
			if err != nil {
				return FolderList{}, err
			}
			if f.MimeType != mimeFolder {
				return FolderList{}, tools.Errorf(f.Name + " is a file, not a folder: use get_drive_file_content to read it.")
			}
			q := "'" + folder + "' in parents and trashed = false"
			list, err := listFiles(ctx, d, c, q, size, in.PageToken, in.corporaParams, "folder,name")
			if err != nil {
				return FolderList{}, err
			}
			return FolderList{FolderID: folder, FolderName: f.Name, Files: list.Files, Count: list.Count,
				NextPageToken: list.NextPageToken, DriveID: in.DriveID}, nil
		})

	addTool(r, d, &mcp.Tool{
		Name:  "list_shared_drives",
		Title: "List shared drives",
		Description: "List the shared drives (team drives) the account is a member of, with their ids. Use an id as drive_id " +
			"in search_drive_files or list_drive_items.",
		Annotations: &mcp.ToolAnnotations{Title: "List shared drives", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: new(true)},
	}, tools.Spec{Service: "drive", Scopes: []string{scopeReadonly}, Tier: tools.Extended}, nil,
		func(ctx context.Context, c tools.Call, in sharedDrivesIn) (SharedDriveList, error) {
			size, err := checkPageSize(in.PageSize, 100, 100)
			if err != nil {
				return SharedDriveList{}, err
			}
			srv, err := d.Clients.Drive(ctx, c.Account)
			if err != nil {
				return SharedDriveList{}, err
			}
			res, err := srv.Drives.List().PageSize(size).PageToken(in.PageToken).
				Fields("nextPageToken,drives(id,name,createdTime)").Context(ctx).Do()
			if err != nil {
				return SharedDriveList{}, err
			}
			out := SharedDriveList{Drives: []SharedDrive{}, NextPageToken: res.NextPageToken}
			for _, sd := range res.Drives {
				out.Drives = append(out.Drives, SharedDrive{ID: sd.Id, Name: sd.Name, CreatedTime: sd.CreatedTime})
			}
			out.Count = len(out.Drives)
			return out, nil
		})
}

// listFiles runs one page of files.list.
func listFiles(ctx context.Context, d *tools.Deps, c tools.Call, q string, size int64, token string, cp corporaParams, orderBy string) (FileList, error) {
	srv, err := d.Clients.Drive(ctx, c.Account)
	if err != nil {
		return FileList{}, err
	}
	call, err := cp.apply(srv.Files.List().Q(q).PageSize(size).PageToken(token).
		Fields("nextPageToken,files(" + itemFields + ")"))
	if err != nil {
		return FileList{}, err
	}
	if orderBy != "" {
		call = call.OrderBy(orderBy)
	}
	res, err := call.Context(ctx).Do()
	if err != nil {
		return FileList{}, err
	}
	out := FileList{Files: make([]FileInfo, 0, len(res.Files)), Query: q, NextPageToken: res.NextPageToken}
	for _, f := range res.Files {
		out.Files = append(out.Files, fileInfo(f))
	}
	out.Count = len(out.Files)
	return out, nil
}

type listIn struct {
	tools.AccountParam
	FolderID  string `json:"folder_id,omitempty" jsonschema:"Id of the folder to list (default root: My Drive, or the shared drive of drive_id)."`
	PageSize  int    `json:"page_size,omitempty" jsonschema:"How many items per page (1-1000, default 100)."`
	PageToken string `json:"page_token,omitempty" jsonschema:"next_page_token of a previous call, to get the next page."`
	corporaParams
}

// FolderList is a page of a folder's items.
type FolderList struct {
	FolderID      string     `json:"folderId"`
	FolderName    string     `json:"folderName,omitempty"`
	DriveID       string     `json:"driveId,omitempty"`
	Files         []FileInfo `json:"items"`
	Count         int        `json:"count"`
	NextPageToken string     `json:"nextPageToken,omitempty" jsonschema:"Pass as page_token to get more items; absent on the last page."`
}

type sharedDrivesIn struct {
	tools.AccountParam
	PageSize  int    `json:"page_size,omitempty" jsonschema:"How many drives per page (1-100, default 100)."`
	PageToken string `json:"page_token,omitempty" jsonschema:"next_page_token of a previous call."`
}

// SharedDrive is one shared drive.
type SharedDrive struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	CreatedTime string `json:"createdTime,omitempty"`
}

// SharedDriveList is a page of shared drives.
type SharedDriveList struct {
	Drives        []SharedDrive `json:"drives"`
	Count         int           `json:"count"`
	NextPageToken string        `json:"nextPageToken,omitempty"`
}
