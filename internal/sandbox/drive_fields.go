package sandbox

import (
	"errors"
	"strings"
)

// This file implements the `fields` system parameter (partial responses) for the Drive API:
// "a,b(c,d),e/f", "*" and "files(*)". Field names are checked against the resource's schema
// at the top level of the response and of its list items, like Google, which answers 400
// invalidParameter "Invalid field selection X" for an unknown one; below that (capabilities(...),
// owners(...)) names are not checked.

// driveMask is a parsed selection: a nil value selects the whole subtree.
type driveMask map[string]driveMask

type driveMaskError struct{ field string }

func (e *driveMaskError) Error() string { return "Invalid field selection " + e.field }

var errDriveMaskSyntax = errors.New("invalid field mask")

// parseDriveMask parses a fields parameter.
func parseDriveMask(s string) (driveMask, error) {
	if len(s) > 8192 {
		return nil, errDriveMaskSyntax
	}
	p := &driveMaskParser{s: s}
	m, err := p.list(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.s) {
		return nil, errDriveMaskSyntax
	}
	return m, nil
}

type driveMaskParser struct {
	s string
	i int
}

func (p *driveMaskParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n') {
		p.i++
	}
}

func (p *driveMaskParser) name() string {
	p.space()
	j := p.i
	for j < len(p.s) {
		c := p.s[j]
		if c == '*' || c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') {
			j++
			continue
		}
		break
	}
	n := p.s[p.i:j]
	p.i = j
	return n
}

func (p *driveMaskParser) list(depth int) (driveMask, error) {
	if depth > 16 {
		return nil, errDriveMaskSyntax
	}
	m := driveMask{}
	for {
		path := []string{p.name()}
		if path[0] == "" {
			return nil, errDriveMaskSyntax
		}
		for p.i < len(p.s) && p.s[p.i] == '/' {
			p.i++
			n := p.name()
			if n == "" {
				return nil, errDriveMaskSyntax
			}
			path = append(path, n)
		}
		p.space()
		var sub driveMask
		if p.i < len(p.s) && p.s[p.i] == '(' {
			p.i++
			var err error
			if sub, err = p.list(depth + 1); err != nil {
				return nil, err
			}
			p.space()
			if p.i >= len(p.s) || p.s[p.i] != ')' {
				return nil, errDriveMaskSyntax
			}
			p.i++
		}
		m.add(path, sub)
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		return m, nil
	}
}

// add merges path(sub) into m.
func (m driveMask) add(path []string, sub driveMask) {
	cur := m
	for i, k := range path {
		last := i == len(path)-1
		existing, seen := cur[k]
		if seen && existing == nil {
			return // already whole
		}
		if last {
			if sub == nil {
				cur[k] = nil
				return
			}
			if existing == nil {
				existing = driveMask{}
				cur[k] = existing
			}
			for sk, sv := range sub {
				existing.add([]string{sk}, sv)
			}
			return
		}
		if existing == nil {
			existing = driveMask{}
			cur[k] = existing
		}
		cur = existing
	}
}

// driveSchema lists a resource's field names; a nil value leaves the field's own fields
// unchecked.
type driveSchema map[string]driveSchema

func driveSchemaOf(names string, nested map[string]driveSchema) driveSchema {
	s := driveSchema{}
	for n := range strings.FieldsSeq(names) {
		s[n] = nested[n]
	}
	return s
}

var (
	driveUserSchema = driveSchemaOf("displayName emailAddress kind me permissionId photoLink", nil)
	drivePermSchema = driveSchemaOf("allowFileDiscovery deleted displayName domain emailAddress expirationTime id "+
		"inheritedPermissionsDisabled kind pendingOwner permissionDetails photoLink role teamDrivePermissionDetails type view", nil)
	driveFileSchema = driveSchemaOf("appProperties capabilities clientEncryptionDetails contentHints contentRestrictions "+
		"copyRequiresWriterPermission createdTime description downloadRestrictions driveId explicitlyTrashed exportLinks "+
		"fileExtension folderColorRgb fullFileExtension hasAugmentedPermissions hasThumbnail headRevisionId iconLink id "+
		"imageMediaMetadata inheritedPermissionsDisabled isAppAuthorized kind labelInfo lastModifyingUser linkShareMetadata "+
		"md5Checksum mimeType modifiedByMe modifiedByMeTime modifiedTime name originalFilename ownedByMe owners parents "+
		"permissionIds permissions properties quotaBytesUsed resourceKey sha1Checksum sha256Checksum shared sharedWithMeTime "+
		"sharingUser shortcutDetails size spaces starred teamDriveId thumbnailLink thumbnailVersion trashed trashedTime "+
		"trashingUser version videoMediaMetadata viewedByMe viewedByMeTime viewersCanCopyContent webContentLink webViewLink "+
		"writersCanShare", map[string]driveSchema{
		"owners": driveUserSchema, "lastModifyingUser": driveUserSchema, "sharingUser": driveUserSchema,
		"trashingUser": driveUserSchema, "permissions": drivePermSchema,
	})
	driveDriveSchema = driveSchemaOf("backgroundImageFile backgroundImageLink capabilities colorRgb createdTime hidden id "+
		"kind name orgUnitId restrictions themeId", nil)
	driveAboutSchema = driveSchemaOf("appInstalled canCreateDrives canCreateTeamDrives driveThemes exportFormats "+
		"folderColorPalette importFormats kind maxImportSizes maxUploadSize storageQuota teamDriveThemes user",
		map[string]driveSchema{"user": driveUserSchema})
	driveFileListSchema  = driveSchemaOf("files incompleteSearch kind nextPageToken", map[string]driveSchema{"files": driveFileSchema})
	drivePermListSchema  = driveSchemaOf("kind nextPageToken permissions", map[string]driveSchema{"permissions": drivePermSchema})
	driveDriveListSchema = driveSchemaOf("drives kind nextPageToken", map[string]driveSchema{"drives": driveDriveSchema})
)

// check validates m against schema.
func (m driveMask) check(schema driveSchema) error {
	for k, sub := range m {
		if k == "*" {
			continue
		}
		child, ok := schema[k]
		if !ok {
			return &driveMaskError{field: k}
		}
		if sub != nil && child != nil {
			if err := sub.check(child); err != nil {
				return err
			}
		}
	}
	return nil
}

// apply returns the parts of v that m selects.
func (m driveMask) apply(v any) any {
	if m == nil {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		if _, all := m["*"]; all {
			for k, val := range x {
				out[k] = val
			}
		}
		for k, sub := range m {
			if k == "*" {
				continue
			}
			if val, ok := x[k]; ok {
				out[k] = sub.apply(val)
			}
		}
		return out
	case []map[string]any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = m.apply(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = m.apply(e)
		}
		return out
	}
	return v
}

// driveFields resolves the fields parameter of r against schema, falling back to def when it
// is absent. It answers Google's 400 for a malformed or unknown selection.
func driveFields(raw string, def string, schema driveSchema) (driveMask, *APIError) {
	if raw == "" {
		raw = def
	}
	m, err := parseDriveMask(raw)
	if err != nil {
		return nil, &APIError{Code: 400, Reason: "invalidParameter", Message: "Invalid field selection " + raw, Location: "fields"}
	}
	if err := m.check(schema); err != nil {
		return nil, &APIError{Code: 400, Reason: "invalidParameter", Message: err.Error(), Location: "fields"}
	}
	return m, nil
}
