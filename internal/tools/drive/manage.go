package drive

import (
	"context"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"google.golang.org/api/drive/v3"

	"github.com/gwmcp/gwmcp/internal/tools"
	"github.com/gwmcp/gwmcp/internal/workspace"
)

// This file holds manage_drive_files: move, copy, rename, trash and delete.

type manageIn struct {
	tools.AccountParam
	Operation            string   `json:"operation" jsonschema:"move, copy, rename, delete (to the trash unless permanent=true) or trash."`
	FileIDs              []string `json:"file_ids" jsonschema:"Ids of the files to act on (exactly one for rename)."`
	TargetFolderID       string   `json:"target_folder_id,omitempty" jsonschema:"move and copy: the destination folder id (root for My Drive). Required for move; copy defaults to the original's folder."`
	RemoveFromAllParents bool     `json:"remove_from_all_parents,omitempty" jsonschema:"move: take the file out of all its current folders (default true) or only the first."`
	NamePrefix           string   `json:"name_prefix,omitempty" jsonschema:"copy: prefix of the copies' names (default 'Copy of ')."`
	NewName              string   `json:"new_name,omitempty" jsonschema:"rename: the new name."`
	Permanent            bool     `json:"permanent,omitempty" jsonschema:"delete: true deletes for good, skipping the trash (cannot be undone); default false moves to the trash."`
}

// ManageOutcome is what happened to one file.
type ManageOutcome struct {
	FileID      string `json:"fileId"`
	FileName    string `json:"fileName,omitempty"`
	Status      string `json:"status" jsonschema:"moved, copied, renamed, trashed, deleted or failed."`
	NewFileID   string `json:"newFileId,omitempty" jsonschema:"copy: the id of the copy."`
	NewName     string `json:"newName,omitempty"`
	WebViewLink string `json:"webViewLink,omitempty"`
	Error       string `json:"error,omitempty"`
}

// ManageResult summarises a batch.
type ManageResult struct {
	Operation  string          `json:"operation"`
	Results    []ManageOutcome `json:"results"`
	Successful int             `json:"successful"`
	Failed     int             `json:"failed"`
}

func registerManage(r *tools.Registry, d *tools.Deps) {
	addTool(r, d, &mcp.Tool{
		Name:  "manage_drive_files",
		Title: "Move, copy, rename or delete Drive files",
		Description: "Organise Drive files: operation=move (to target_folder_id), copy (optionally into target_folder_id, " +
			"names prefixed with name_prefix), rename (one file, new_name), delete (to the trash; with permanent=true deleted " +
			"for good, which cannot be undone) or trash. Works on several files at once and reports each file's outcome.",
		Annotations: &mcp.ToolAnnotations{Title: "Manage Drive files", DestructiveHint: new(true), OpenWorldHint: new(true)},
	}, tools.Spec{Service: "drive", Scopes: []string{scopeFull}, Tier: tools.Extended},
		map[string]prop{"remove_from_all_parents": {def: true}, "name_prefix": {def: "Copy of "}, "permanent": {def: false},
			"operation": {enum: []any{"move", "copy", "rename", "delete", "trash"}}},
		func(ctx context.Context, c tools.Call, in manageIn) (ManageResult, error) {
			op := strings.ToLower(strings.TrimSpace(in.Operation))
			if op == "trash" {
				op, in.Permanent = "delete", false
			}
			if err := checkIDs("file_ids", in.FileIDs); err != nil {
				return ManageResult{}, err
			}
			switch op {
			case "move":
				if in.TargetFolderID == "" {
					return ManageResult{}, tools.Errorf("move needs target_folder_id, the id of the destination folder (root for My Drive).")
				}
			case "rename":
				if len(in.FileIDs) != 1 {
					return ManageResult{}, tools.Errorf("rename works on exactly one file: give one id in file_ids.")
				}
				if strings.TrimSpace(in.NewName) == "" {
					return ManageResult{}, tools.Errorf("rename needs new_name.")
				}
			case "copy", "delete":
			default:
				return ManageResult{}, tools.Errorf("operation must be move, copy, rename, delete or trash.")
			}
			if in.TargetFolderID != "" {
				if err := checkID("target_folder_id", in.TargetFolderID); err != nil {
					return ManageResult{}, err
				}
			}
			srv, err := d.Clients.Drive(ctx, c.Account)
			if err != nil {
				return ManageResult{}, err
			}
			res := ManageResult{Operation: op, Results: []ManageOutcome{}}
			var first error
			for _, id := range in.FileIDs {
				o, err := manageOne(ctx, srv, op, id, in)
				if err != nil {
					first = cmpErr(first, err)
					o.Status, o.Error = "failed", workspace.Describe(err)
					res.Failed++
				} else {
					res.Successful++
				}
				res.Results = append(res.Results, o)
			}
			if res.Successful == 0 {
				return ManageResult{}, first
			}
			return res, nil
		})
}

func manageOne(ctx context.Context, srv *drive.Service, op, id string, in manageIn) (ManageOutcome, error) {
	o := ManageOutcome{FileID: id}
	f, err := srv.Files.Get(id).SupportsAllDrives(true).Fields("id,name,parents").Context(ctx).Do()
	if err != nil {
		return o, err
	}
	o.FileName = f.Name
	var nf *drive.File
	switch op {
	case "move":
		remove := f.Parents
		if !in.RemoveFromAllParents && len(remove) > 1 {
			remove = remove[:1]
		}
		nf, err = srv.Files.Update(id, &drive.File{}).AddParents(in.TargetFolderID).RemoveParents(strings.Join(remove, ",")).
			SupportsAllDrives(true).Fields(itemFields).Context(ctx).Do()
		o.Status = "moved"
	case "copy":
		meta := &drive.File{Name: in.NamePrefix + f.Name}
		if in.TargetFolderID != "" {
			meta.Parents = []string{in.TargetFolderID}
		}
		nf, err = srv.Files.Copy(id, meta).SupportsAllDrives(true).Fields(itemFields).Context(ctx).Do()
		if err == nil {
			o.NewFileID, o.NewName = nf.Id, nf.Name
		}
		o.Status = "copied"
	case "rename":
		nf, err = srv.Files.Update(id, &drive.File{Name: strings.TrimSpace(in.NewName)}).SupportsAllDrives(true).
			Fields(itemFields).Context(ctx).Do()
		if err == nil {
			o.NewName = nf.Name
		}
		o.Status = "renamed"
	case "delete":
		if in.Permanent {
			err = srv.Files.Delete(id).SupportsAllDrives(true).Context(ctx).Do()
			o.Status = "deleted"
		} else {
			nf, err = srv.Files.Update(id, &drive.File{Trashed: true}).SupportsAllDrives(true).Fields(itemFields).Context(ctx).Do()
			o.Status = "trashed"
		}
	}
	if err != nil {
		return o, err
	}
	if nf != nil {
		o.WebViewLink = nf.WebViewLink
	}
	return o, nil
}
