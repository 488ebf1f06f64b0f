package sandbox

import (
	"crypto/md5"  //nolint:gosec // Drive reports md5Checksum; it is not used for security.
	"crypto/sha1" //nolint:gosec // Drive reports sha1Checksum; it is not used for security.
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"
)

// This file renders Drive resources in Google's JSON shapes (int64 values as strings, times
// in RFC 3339 with milliseconds), as seen by one caller.

const driveDefaultFileFields = "kind,id,name,mimeType"

func driveTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func (d *driveState) userJSON(email string, c driveCaller) map[string]any {
	u := map[string]any{"kind": "drive#user", "emailAddress": email, "displayName": d.names[email],
		"me": email == c.email, "permissionId": drivePermissionID("user:" + email),
		"photoLink": "https://lh3.googleusercontent.com/a/default-user=s64"}
	if u["displayName"] == "" {
		u["displayName"] = email
	}
	return u
}

// driveCapabilities is the subset of files#capabilities the fake Drive computes from the
// caller's role.
func (d *driveState) capabilities(f *driveFile, role string) map[string]bool {
	folder := f.mimeType == MimeFolder
	inShared := f.driveID != ""
	canTrash := role == "owner" || (inShared && driveAtLeast(role, "fileOrganizer"))
	canDelete := role == "owner" || (inShared && role == "organizer")
	canShare := driveAtLeast(role, "writer") && (f.writersCanShare || driveAtLeast(role, "owner") || inShared)
	return map[string]bool{
		"canEdit":                               driveAtLeast(role, "writer"),
		"canComment":                            driveAtLeast(role, "commenter"),
		"canShare":                              canShare,
		"canCopy":                               !folder && (driveAtLeast(role, "writer") || (role != "" && !f.copyRequiresWriter)),
		"canDownload":                           role != "",
		"canRename":                             driveAtLeast(role, "writer"),
		"canModifyContent":                      driveAtLeast(role, "writer") && !folder,
		"canTrash":                              canTrash,
		"canUntrash":                            canTrash,
		"canDelete":                             canDelete,
		"canReadRevisions":                      driveAtLeast(role, "writer"),
		"canAddChildren":                        folder && driveAtLeast(role, "writer"),
		"canListChildren":                       folder && role != "",
		"canRemoveChildren":                     folder && driveAtLeast(role, "writer"),
		"canMoveItemWithinDrive":                driveAtLeast(role, "writer"),
		"canChangeCopyRequiresWriterPermission": driveAtLeast(role, "writer"),
		"canReadDrive":                          inShared && role != "",
	}
}

var driveIconPaths = map[string]string{MimeFolder: "folder", MimeDocument: "document", MimeSpreadsheet: "spreadsheet",
	MimePresentation: "presentation"}

func driveWebViewLink(f *driveFile) string {
	switch f.mimeType {
	case MimeFolder:
		return "https://drive.google.com/drive/folders/" + f.id
	case MimeDocument:
		return "https://docs.google.com/document/d/" + f.id + "/edit?usp=drivesdk"
	case MimeSpreadsheet:
		return "https://docs.google.com/spreadsheets/d/" + f.id + "/edit?usp=drivesdk"
	case MimePresentation:
		return "https://docs.google.com/presentation/d/" + f.id + "/edit?usp=drivesdk"
	}
	return "https://drive.google.com/file/d/" + f.id + "/view?usp=drivesdk"
}

// fileJSON renders every field of f the fake Drive knows, for the caller whose role is role.
func (d *driveState) fileJSON(f *driveFile, c driveCaller, role string) map[string]any {
	m := map[string]any{
		"kind": "drive#file", "id": f.id, "name": f.name, "mimeType": f.mimeType,
		"starred": f.starredBy[c.email], "trashed": f.trashed, "explicitlyTrashed": f.explicitlyTrashed,
		"spaces": []string{"drive"}, "version": driveItoa(f.version),
		"webViewLink":  driveWebViewLink(f),
		"iconLink":     "https://drive-thirdparty.googleusercontent.com/16/type/" + f.mimeType,
		"hasThumbnail": false, "thumbnailVersion": "0",
		"createdTime": driveTime(f.created), "modifiedTime": driveTime(f.modified),
		"modifiedByMe": f.lastModifier == c.email, "ownedByMe": f.owner != "" && f.owner == c.email,
		"viewersCanCopyContent": !f.copyRequiresWriter, "copyRequiresWriterPermission": f.copyRequiresWriter,
		"writersCanShare": f.writersCanShare, "isAppAuthorized": f.apps[c.clientID],
		"capabilities": d.capabilities(f, role), "shared": false,
		"quotaBytesUsed": "0", "inheritedPermissionsDisabled": false,
	}
	if f.description != "" {
		m["description"] = f.description
	}
	if len(f.parents) > 0 {
		m["parents"] = slices.Clone(f.parents)
	}
	if f.lastModifier != "" {
		m["lastModifyingUser"] = d.userJSON(f.lastModifier, c)
	}
	if f.lastModifier == c.email {
		m["modifiedByMeTime"] = driveTime(f.modified)
	}
	if t, ok := f.viewedBy[c.email]; ok {
		m["viewedByMe"], m["viewedByMeTime"] = true, driveTime(t)
	} else {
		m["viewedByMe"] = false
	}
	if f.trashed {
		m["trashedTime"] = driveTime(f.trashedTime)
		if f.trashingUser != "" {
			m["trashingUser"] = d.userJSON(f.trashingUser, c)
		}
	}
	if f.driveID != "" {
		m["driveId"], m["teamDriveId"] = f.driveID, f.driveID
	} else {
		m["owners"] = []map[string]any{d.userJSON(f.owner, c)}
		for _, p := range f.perms {
			if p.role != "owner" {
				m["shared"] = true
			}
			if p.typ == "user" && p.email == c.email && p.role != "owner" {
				m["sharedWithMeTime"] = driveTime(p.created)
				if p.sharer != "" {
					m["sharingUser"] = d.userJSON(p.sharer, c)
				}
			}
		}
		if m["shared"] == false {
			for _, a := range d.ancestors(f) {
				for _, p := range a.perms {
					if p.role != "owner" || p.email != f.owner {
						m["shared"] = true
					}
				}
			}
		}
	}
	if driveAtLeast(role, "writer") || f.driveID == "" && role != "" {
		perms := d.effectivePerms(f)
		ids := make([]string, 0, len(perms))
		for _, p := range perms {
			ids = append(ids, p.perm.id)
		}
		m["permissionIds"] = ids
		if f.driveID == "" && d.capabilities(f, role)["canShare"] {
			list := make([]map[string]any, 0, len(perms))
			for _, p := range perms {
				list = append(list, d.permJSON(p))
			}
			m["permissions"] = list
		}
	}
	if driveIsNative(f.mimeType) {
		if formats := driveExportFormats[f.mimeType]; len(formats) > 0 {
			links := map[string]string{}
			for _, mt := range formats {
				links[mt] = "https://docs.google.com/feeds/download/export?id=" + f.id + "&exportFormat=" + url.QueryEscape(mt)
			}
			m["exportLinks"] = links
		}
	} else {
		size := int64(len(f.content))
		m["size"], m["quotaBytesUsed"] = driveItoa(size), driveItoa(size)
		md := md5.Sum(f.content)  //nolint:gosec // a checksum, as Drive reports it
		s1 := sha1.Sum(f.content) //nolint:gosec // a checksum, as Drive reports it
		s256 := sha256.Sum256(f.content)
		m["md5Checksum"], m["sha1Checksum"], m["sha256Checksum"] = hex.EncodeToString(md[:]), hex.EncodeToString(s1[:]), hex.EncodeToString(s256[:])
		m["webContentLink"] = "https://drive.google.com/uc?id=" + f.id + "&export=download"
		m["headRevisionId"] = "0B" + f.id[1:min(len(f.id), 20)] + driveItoa(f.version)
		name := f.originalFilename
		if name == "" {
			name = f.name
		}
		m["originalFilename"] = name
		if ext := strings.TrimPrefix(path.Ext(name), "."); ext != "" {
			m["fileExtension"], m["fullFileExtension"] = ext, ext
		}
	}
	if _, ok := driveIconPaths[f.mimeType]; !ok && !driveIsNative(f.mimeType) {
		m["iconLink"] = "https://drive-thirdparty.googleusercontent.com/16/type/" + f.mimeType
	}
	return m
}

// driveEffPerm is a permission as permissions.list shows it: its own or inherited from a
// folder or the shared drive.
type driveEffPerm struct {
	perm          *drivePerm
	inheritedFrom string // "" when direct
	member        bool   // from shared drive membership
}

// effectivePerms returns f's direct permissions, then those inherited from its folders and
// its shared drive (the strongest per person). Callers hold d.mu.
func (d *driveState) effectivePerms(f *driveFile) []driveEffPerm {
	var out []driveEffPerm
	index := map[string]int{}
	add := func(p *drivePerm, from string, member bool) {
		if i, ok := index[p.id]; ok {
			if driveRoleRank[p.role] > driveRoleRank[out[i].perm.role] && from != "" {
				out[i] = driveEffPerm{perm: p, inheritedFrom: from, member: member}
			}
			return
		}
		index[p.id] = len(out)
		out = append(out, driveEffPerm{perm: p, inheritedFrom: from, member: member})
	}
	for _, p := range f.perms {
		add(p, "", false)
	}
	for _, a := range d.ancestors(f) {
		for _, p := range a.perms {
			if p.role == "owner" {
				if p.email == f.owner {
					continue
				}
				q := *p
				q.role = "writer"
				p = &q
			}
			add(p, a.id, false)
		}
	}
	if sd := d.drives[f.driveID]; sd != nil {
		for _, email := range slices.Sorted(maps.Keys(sd.members)) {
			add(d.userPerm(email, sd.members[email], sd.created, ""), sd.id, true)
		}
	}
	return out
}

func (d *driveState) permJSON(e driveEffPerm) map[string]any {
	p := e.perm
	m := map[string]any{"kind": "drive#permission", "id": p.id, "type": p.typ, "role": p.role, "deleted": false,
		"pendingOwner": false}
	if p.email != "" {
		m["emailAddress"] = p.email
	}
	if p.displayName != "" {
		m["displayName"] = p.displayName
	} else if p.typ == "domain" {
		m["displayName"] = p.domain
	}
	if p.domain != "" {
		m["domain"] = p.domain
	} else if _, dom, ok := strings.Cut(p.email, "@"); ok {
		m["domain"] = dom
	}
	if p.typ == "anyone" || p.typ == "domain" {
		m["allowFileDiscovery"] = p.allowDiscovery
	}
	detail := map[string]any{"permissionType": "file", "role": p.role, "inherited": e.inheritedFrom != ""}
	if e.member {
		detail["permissionType"] = "member"
	}
	if e.inheritedFrom != "" {
		detail["inheritedFrom"] = e.inheritedFrom
	}
	m["permissionDetails"] = []map[string]any{detail}
	return m
}

func (d *driveState) driveJSON(sd *driveSharedDrive, c driveCaller) map[string]any {
	role := sd.members[c.email]
	return map[string]any{
		"kind": "drive#drive", "id": sd.id, "name": sd.name, "createdTime": driveTime(sd.created),
		"hidden": false, "colorRgb": sd.colorRgb, "themeId": "abacus",
		"capabilities": map[string]bool{
			"canAddChildren": driveAtLeast(role, "writer"), "canManageMembers": role == "organizer",
			"canRename": role == "organizer", "canDeleteDrive": role == "organizer",
			"canShare": driveAtLeast(role, "fileOrganizer"), "canEdit": driveAtLeast(role, "writer"),
			"canComment": driveAtLeast(role, "commenter"), "canListChildren": role != "",
			"canDownload": role != "", "canCopy": role != "",
		},
		"restrictions": map[string]bool{"adminManagedRestrictions": false, "copyRequiresWriterPermission": false,
			"domainUsersOnly": false, "driveMembersOnly": false, "sharingFoldersRequiresOrganizerPermission": false},
	}
}
