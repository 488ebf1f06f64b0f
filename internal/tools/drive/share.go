package drive

import (
	"context"
	"net/mail"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"google.golang.org/api/drive/v3"

	"github.com/gwmcp/gwmcp/internal/tools"
	"github.com/gwmcp/gwmcp/internal/workspace"
)

// This file holds share_drive_files, make_drive_files_public and get_drive_file_permissions.

type shareIn struct {
	tools.AccountParam
	FileIDs          []string `json:"file_ids" jsonschema:"Ids of the files or folders to share."`
	EmailAddresses   []string `json:"email_addresses" jsonschema:"Email addresses of the people (or Google groups) to share with."`
	Role             string   `json:"role,omitempty" jsonschema:"reader (default), commenter or writer."`
	SendNotification bool     `json:"send_notification,omitempty" jsonschema:"Email the people about the share (default true)."`
	Message          string   `json:"message,omitempty" jsonschema:"A note included in the notification email."`
}

// ShareOutcome is the result of one file and recipient (or one file).
type ShareOutcome struct {
	FileID       string `json:"fileId"`
	FileName     string `json:"fileName,omitempty"`
	Email        string `json:"email,omitempty"`
	Role         string `json:"role,omitempty"`
	PermissionID string `json:"permissionId,omitempty"`
	Status       string `json:"status" jsonschema:"shared, unshared, unchanged or failed."`
	Error        string `json:"error,omitempty"`
	WebViewLink  string `json:"webViewLink,omitempty"`
}

// ShareResult summarises a batch.
type ShareResult struct {
	Results    []ShareOutcome `json:"results"`
	Successful int            `json:"successful"`
	Failed     int            `json:"failed"`
}

type publicIn struct {
	tools.AccountParam
	FileIDs []string `json:"file_ids" jsonschema:"Ids of the files to make public (or private again)."`
	Public  bool     `json:"public,omitempty" jsonschema:"true (default) lets anyone with the link open the files; false removes that access."`
	Role    string   `json:"role,omitempty" jsonschema:"What anyone with the link may do: reader (default) or commenter."`
}

type permissionsIn struct {
	tools.AccountParam
	FileID string `json:"file_id" jsonschema:"Id of the file or folder."`
}

// Permission is one grant on a file.
type Permission struct {
	ID                 string `json:"id"`
	Type               string `json:"type" jsonschema:"user, group, domain or anyone."`
	Role               string `json:"role"`
	EmailAddress       string `json:"emailAddress,omitempty"`
	Domain             string `json:"domain,omitempty"`
	DisplayName        string `json:"displayName,omitempty"`
	AllowFileDiscovery bool   `json:"allowFileDiscovery,omitempty"`
}

// FilePermissions is a file's sharing.
type FilePermissions struct {
	File           FileInfo     `json:"file"`
	Shared         bool         `json:"shared"`
	AnyoneWithLink bool         `json:"anyoneWithLink" jsonschema:"True when anyone with the link can open the file."`
	Owners         []string     `json:"owners,omitempty"`
	Permissions    []Permission `json:"permissions"`
}

var shareRoles = []string{"reader", "commenter", "writer"}

func registerShare(r *tools.Registry, d *tools.Deps) {
	addTool(r, d, &mcp.Tool{
		Name:  "share_drive_files",
		Title: "Share Drive files",
		Description: "Share one or more Drive files or folders with people by email address, as reader, commenter or writer, " +
			"optionally emailing them a note. Reports the outcome for each file and person.",
		Annotations: &mcp.ToolAnnotations{Title: "Share Drive files", DestructiveHint: new(false), OpenWorldHint: new(true)},
	}, tools.Spec{Service: "drive", Scopes: []string{scopeFull}, Tier: tools.Extended},
		map[string]prop{"send_notification": {def: true}, "role": {def: "reader", enum: []any{"reader", "commenter", "writer"}}},
		func(ctx context.Context, c tools.Call, in shareIn) (ShareResult, error) {
			if err := checkIDs("file_ids", in.FileIDs); err != nil {
				return ShareResult{}, err
			}
			if len(in.EmailAddresses) == 0 || len(in.EmailAddresses) > 100 {
				return ShareResult{}, tools.Errorf("email_addresses must list between 1 and 100 addresses to share with.")
			}
			for _, e := range in.EmailAddresses {
				if a, err := mail.ParseAddress(e); err != nil || a.Address != strings.TrimSpace(e) {
					return ShareResult{}, tools.Errorf(quote(e) + " is not an email address such as bob@example.com.")
				}
			}
			role := cmpOr(in.Role, "reader")
			if !slices.Contains(shareRoles, role) {
				return ShareResult{}, tools.Errorf("role must be reader, commenter or writer.")
			}
			srv, err := d.Clients.Drive(ctx, c.Account)
			if err != nil {
				return ShareResult{}, err
			}
			var res ShareResult
			var first error
			for _, id := range in.FileIDs {
				name := ""
				if f, err := srv.Files.Get(id).SupportsAllDrives(true).Fields("name").Context(ctx).Do(); err == nil {
					name = f.Name
				}
				for _, email := range in.EmailAddresses {
					call := srv.Permissions.Create(id, &drive.Permission{Type: "user", Role: role, EmailAddress: strings.TrimSpace(email)}).
						SendNotificationEmail(in.SendNotification).SupportsAllDrives(true).Fields("id,type,role,emailAddress")
					if in.SendNotification && in.Message != "" {
						call = call.EmailMessage(in.Message)
					}
					o := ShareOutcome{FileID: id, FileName: name, Email: email, Role: role}
					p, err := call.Context(ctx).Do()
					if err != nil {
						first = cmpErr(first, err)
						o.Status, o.Error = "failed", workspace.Describe(err)
						res.Failed++
					} else {
						o.Status, o.PermissionID = "shared", p.Id
						res.Successful++
					}
					res.Results = append(res.Results, o)
				}
			}
			if res.Successful == 0 {
				return ShareResult{}, first
			}
			return res, nil
		})

	addTool(r, d, &mcp.Tool{
		Name:  "make_drive_files_public",
		Title: "Make Drive files public",
		Description: "Let anyone with the link open one or more Drive files (public=true, the default), or remove that " +
			"access again (public=false). The files do not become searchable. Reports the outcome and link of each file.",
		Annotations: &mcp.ToolAnnotations{Title: "Make Drive files public", DestructiveHint: new(false), IdempotentHint: true, OpenWorldHint: new(true)},
	}, tools.Spec{Service: "drive", Scopes: []string{scopeFull}, Tier: tools.Complete},
		map[string]prop{"public": {def: true}, "role": {def: "reader", enum: []any{"reader", "commenter"}}},
		func(ctx context.Context, c tools.Call, in publicIn) (ShareResult, error) {
			if err := checkIDs("file_ids", in.FileIDs); err != nil {
				return ShareResult{}, err
			}
			role := cmpOr(in.Role, "reader")
			if role != "reader" && role != "commenter" {
				return ShareResult{}, tools.Errorf("role must be reader or commenter for public access.")
			}
			srv, err := d.Clients.Drive(ctx, c.Account)
			if err != nil {
				return ShareResult{}, err
			}
			var res ShareResult
			var first error
			for _, id := range in.FileIDs {
				o, err := setPublic(ctx, srv, id, in.Public, role)
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
				return ShareResult{}, first
			}
			return res, nil
		})

	addTool(r, d, &mcp.Tool{
		Name:  "get_drive_file_permissions",
		Title: "Show Drive file sharing",
		Description: "Show who can open a Drive file or folder: its owners, every permission (people, groups, domains, " +
			"anyone with the link) with its role, and whether it is shared or public.",
		Annotations: &mcp.ToolAnnotations{Title: "Show Drive file sharing", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: new(true)},
	}, tools.Spec{Service: "drive", Scopes: []string{scopeReadonly}, Tier: tools.Extended}, nil,
		func(ctx context.Context, c tools.Call, in permissionsIn) (FilePermissions, error) {
			if err := checkID("file_id", in.FileID); err != nil {
				return FilePermissions{}, err
			}
			srv, err := d.Clients.Drive(ctx, c.Account)
			if err != nil {
				return FilePermissions{}, err
			}
			f, err := srv.Files.Get(in.FileID).SupportsAllDrives(true).Fields(itemFields + ",shared,owners(emailAddress)").Context(ctx).Do()
			if err != nil {
				return FilePermissions{}, err
			}
			out := FilePermissions{File: fileInfo(f), Shared: f.Shared, Permissions: []Permission{}}
			for _, o := range f.Owners {
				out.Owners = append(out.Owners, o.EmailAddress)
			}
			token := ""
			for range 10 { // at most 1,000 permissions
				res, err := srv.Permissions.List(in.FileID).SupportsAllDrives(true).PageSize(100).PageToken(token).
					Fields("nextPageToken,permissions(id,type,role,emailAddress,domain,displayName,allowFileDiscovery)").Context(ctx).Do()
				if err != nil {
					return FilePermissions{}, err
				}
				for _, p := range res.Permissions {
					out.Permissions = append(out.Permissions, Permission{ID: p.Id, Type: p.Type, Role: p.Role, EmailAddress: p.EmailAddress,
						Domain: p.Domain, DisplayName: p.DisplayName, AllowFileDiscovery: p.AllowFileDiscovery})
					if p.Type == "anyone" {
						out.AnyoneWithLink = true
					}
				}
				if token = res.NextPageToken; token == "" {
					break
				}
			}
			return out, nil
		})
}

// setPublic adds or removes the "anyone with the link" permission of one file.
func setPublic(ctx context.Context, srv *drive.Service, id string, public bool, role string) (ShareOutcome, error) {
	o := ShareOutcome{FileID: id, Role: role}
	f, err := srv.Files.Get(id).SupportsAllDrives(true).Fields("name,webViewLink").Context(ctx).Do()
	if err != nil {
		return o, err
	}
	o.FileName, o.WebViewLink = f.Name, f.WebViewLink
	list, err := srv.Permissions.List(id).SupportsAllDrives(true).PageSize(100).Fields("permissions(id,type,role)").Context(ctx).Do()
	if err != nil {
		return o, err
	}
	var anyone []*drive.Permission
	for _, p := range list.Permissions {
		if p.Type == "anyone" {
			anyone = append(anyone, p)
		}
	}
	if !public {
		o.Role, o.Status = "", "unchanged"
		for _, p := range anyone {
			if err := srv.Permissions.Delete(id, p.Id).SupportsAllDrives(true).Context(ctx).Do(); err != nil {
				return o, err
			}
			o.Status = "unshared"
		}
		return o, nil
	}
	for _, p := range anyone {
		if p.Role == role {
			o.Status, o.PermissionID = "unchanged", p.Id
			return o, nil
		}
	}
	p, err := srv.Permissions.Create(id, &drive.Permission{Type: "anyone", Role: role, AllowFileDiscovery: false}).
		SupportsAllDrives(true).Fields("id").Context(ctx).Do()
	if err != nil {
		return o, err
	}
	o.Status, o.PermissionID = "shared", p.Id
	return o, nil
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

func quote(s string) string { return "\"" + strings.ReplaceAll(s, "\"", "'") + "\"" }
