package drive_test

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/tools/drive"
	"github.com/gwmcp/gwmcp/internal/tools/toolstest"
	"github.com/gwmcp/gwmcp/internal/transfer"
)

func TestCreate(t *testing.T) {
	env, cs := asAlice(t)
	var res drive.CreatedFile
	toolstest.OK(t, cs, "create_drive_file", args("file_name", "todo.txt", "content", "buy milk\n"), &res)
	f, ok := env.Sandbox.DriveFile(res.File.ID)
	if !ok || string(f.Content) != "buy milk\n" || f.MimeType != "text/plain" || f.Parents[0] != env.Sandbox.DriveRootID(alice) {
		t.Errorf("created %+v", f)
	}
	toolstest.OK(t, cs, "create_drive_file", args("file_name", "empty.json", "mime_type", "application/json",
		"folder_id", sandbox.SeedDriveMarketingID), &res)
	if f, _ := env.Sandbox.DriveFile(res.File.ID); f.DriveID != sandbox.SeedDriveMarketingID || f.Size != 0 || f.MimeType != "application/json" {
		t.Errorf("empty file in the shared drive: %+v", f)
	}
	toolstest.OK(t, cs, "create_drive_file", args("file_name", "Minutes", "content", "First line\nSecond line",
		"mime_type", "application/vnd.google-apps.document"), &res)
	var c drive.FileContent
	toolstest.OK(t, cs, "get_drive_file_content", args("file_id", res.File.ID), &c)
	if res.File.MimeType != "application/vnd.google-apps.document" || !strings.Contains(c.Content, "Second line") {
		t.Errorf("converted Doc: %+v / %q", res.File, c.Content)
	}
	toolstest.OK(t, cs, "create_drive_folder", args("folder_name", "Archive", "parent_folder_id", sandbox.SeedDriveProjectsFolderID), &res)
	if f, _ := env.Sandbox.DriveFile(res.File.ID); f.MimeType != "application/vnd.google-apps.folder" || f.Parents[0] != sandbox.SeedDriveProjectsFolderID || !res.File.IsFolder {
		t.Errorf("folder: %+v", f)
	}
	toolstest.OK(t, cs, "create_drive_file", args("file_name", "Via create", "mime_type", "application/vnd.google-apps.folder"), &res)
	if !res.File.IsFolder {
		t.Errorf("folder through create_drive_file: %+v", res.File)
	}
	// Long text is cut, on a character boundary, with a note.
	long := strings.Repeat("é", 60_000) // 120,000 bytes
	toolstest.OK(t, cs, "create_drive_file", args("file_name", "long.md", "content", long, "mime_type", "text/markdown"), &res)
	toolstest.OK(t, cs, "get_drive_file_content", args("file_id", res.File.ID), &c)
	if !c.Truncated || len(c.Content) != 100_000 || !strings.Contains(c.Note, "first 100000 bytes") {
		t.Errorf("truncated: %v, %d bytes, note %q", c.Truncated, len(c.Content), c.Note)
	}
}

func TestShareAndPermissions(t *testing.T) {
	env, cs := asAlice(t)
	var res drive.ShareResult
	toolstest.OK(t, cs, "share_drive_files", args("file_ids", []string{sandbox.SeedDriveReleaseNotesID, sandbox.SeedDriveBudgetID},
		"email_addresses", []string{bob, carol}, "role", "commenter", "message", "FYI"), &res)
	if res.Successful != 4 || res.Failed != 0 || len(res.Results) != 4 || res.Results[0].FileName != "Release Notes.txt" {
		t.Errorf("share: %+v", res)
	}
	f, _ := env.Sandbox.DriveFile(sandbox.SeedDriveBudgetID)
	if !hasPerm(f, "user", "commenter", carol) || !hasPerm(f, "user", "commenter", bob) {
		t.Errorf("budget permissions %+v", f.Permissions)
	}
	// A batch with one bad file reports it and shares the rest.
	toolstest.OK(t, cs, "share_drive_files", args("file_ids", []string{missingID, sandbox.SeedDriveDesignReviewID},
		"email_addresses", []string{carol}, "send_notification", false), &res)
	if res.Successful != 1 || res.Failed != 1 || res.Results[0].Status != "failed" || !strings.Contains(res.Results[0].Error, "not found") {
		t.Errorf("partial share: %+v", res)
	}

	var perms drive.FilePermissions
	toolstest.OK(t, cs, "get_drive_file_permissions", args("file_id", sandbox.SeedDriveDesignReviewID), &perms)
	if !perms.Shared || perms.AnyoneWithLink || !slices.Equal(perms.Owners, []string{alice}) || len(perms.Permissions) != 3 {
		t.Errorf("Design Review sharing: %+v", perms)
	}
	toolstest.OK(t, cs, "get_drive_file_permissions", args("file_id", sandbox.SeedDrivePublicFAQID), &perms)
	if !perms.AnyoneWithLink {
		t.Errorf("Public FAQ: %+v", perms)
	}

	toolstest.OK(t, cs, "make_drive_files_public", args("file_ids", []string{sandbox.SeedDriveReleaseNotesID, sandbox.SeedDrivePublicFAQID}), &res)
	if res.Results[0].Status != "shared" || res.Results[1].Status != "unchanged" || res.Results[0].WebViewLink == "" {
		t.Errorf("make public: %+v", res)
	}
	if f, _ := env.Sandbox.DriveFile(sandbox.SeedDriveReleaseNotesID); !hasPerm(f, "anyone", "reader", "") || f.Permissions[len(f.Permissions)-1].AllowFileDiscovery {
		t.Errorf("public permission: %+v", f.Permissions)
	}
	toolstest.OK(t, cs, "make_drive_files_public", args("file_ids", []string{sandbox.SeedDriveReleaseNotesID}, "public", false), &res)
	if f, _ := env.Sandbox.DriveFile(sandbox.SeedDriveReleaseNotesID); hasPerm(f, "anyone", "reader", "") || res.Results[0].Status != "unshared" {
		t.Errorf("made private: %+v / %+v", res, f.Permissions)
	}
}

func hasPerm(f sandbox.DriveFileInfo, typ, role, email string) bool {
	return slices.ContainsFunc(f.Permissions, func(p sandbox.DrivePermissionInfo) bool {
		return p.Type == typ && p.Role == role && p.EmailAddress == email
	})
}

func TestManage(t *testing.T) {
	env, cs := asAlice(t)
	var res drive.ManageResult
	toolstest.OK(t, cs, "manage_drive_files", args("operation", "move", "file_ids", []string{sandbox.SeedDriveReleaseNotesID, sandbox.SeedDriveDesignReviewID},
		"target_folder_id", sandbox.SeedDriveProjectsFolderID), &res)
	for _, id := range []string{sandbox.SeedDriveReleaseNotesID, sandbox.SeedDriveDesignReviewID} {
		if f, _ := env.Sandbox.DriveFile(id); !slices.Equal(f.Parents, []string{sandbox.SeedDriveProjectsFolderID}) {
			t.Errorf("moved %s: parents %v", f.Name, f.Parents)
		}
	}
	toolstest.OK(t, cs, "manage_drive_files", args("operation", "copy", "file_ids", []string{sandbox.SeedDriveBudgetID}), &res)
	if c, ok := env.Sandbox.DriveFile(res.Results[0].NewFileID); !ok || c.Name != "Copy of Budget 2026" || res.Results[0].Status != "copied" {
		t.Errorf("copy: %+v %+v", res, c)
	}
	toolstest.OK(t, cs, "manage_drive_files", args("operation", "copy", "file_ids", []string{sandbox.SeedDriveBudgetID}, "name_prefix", "",
		"target_folder_id", sandbox.SeedDriveMarketingID), &res)
	if c, _ := env.Sandbox.DriveFile(res.Results[0].NewFileID); c.Name != "Budget 2026" || c.DriveID != sandbox.SeedDriveMarketingID {
		t.Errorf("copy into the shared drive: %+v", c)
	}
	toolstest.OK(t, cs, "manage_drive_files", args("operation", "rename", "file_ids", []string{sandbox.SeedDriveBudgetID}, "new_name", "Budget FY26"), &res)
	if f, _ := env.Sandbox.DriveFile(sandbox.SeedDriveBudgetID); f.Name != "Budget FY26" || res.Results[0].NewName != "Budget FY26" {
		t.Errorf("rename: %+v", f)
	}
	toolstest.OK(t, cs, "manage_drive_files", args("operation", "delete", "file_ids", []string{sandbox.SeedDriveLaunchDeckID}), &res)
	if f, ok := env.Sandbox.DriveFile(sandbox.SeedDriveLaunchDeckID); !ok || !f.Trashed || res.Results[0].Status != "trashed" {
		t.Errorf("delete without permanent must trash: %+v", f)
	}
	toolstest.OK(t, cs, "manage_drive_files", args("operation", "delete", "permanent", true, "file_ids", []string{sandbox.SeedDriveLaunchDeckID}), &res)
	if _, ok := env.Sandbox.DriveFile(sandbox.SeedDriveLaunchDeckID); ok || res.Results[0].Status != "deleted" {
		t.Errorf("permanent delete left the file: %+v", res)
	}
	// One failure among several is reported per file.
	toolstest.OK(t, cs, "manage_drive_files", args("operation", "trash", "file_ids", []string{sandbox.SeedDriveBudgetID, missingID}), &res)
	if res.Successful != 1 || res.Failed != 1 || res.Results[1].Status != "failed" {
		t.Errorf("partial trash: %+v", res)
	}
}

// office builds a minimal Office Open XML file from its parts.
func office(t *testing.T, parts map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range parts {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestOfficeContent(t *testing.T) {
	dir := t.TempDir()
	tr, err := transfer.New(transfer.Options{LocalDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	env := newEnv(t, tr)
	env.Authorize(t, alice, scopeFull)
	cs := env.Connect(t, identity.Principal{})
	const w = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`
	const a = `xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"`
	files := []struct {
		name, mime string
		data       []byte
		want       []string
	}{
		{"memo.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", office(t, map[string]string{
			"word/document.xml": `<w:document ` + w + `><w:body><w:p><w:r><w:t>Quarterly memo</w:t></w:r></w:p>` +
				`<w:p><w:r><w:t xml:space="preserve">Revenue grew </w:t></w:r><w:r><w:t>12%</w:t></w:r><w:r><w:tab/><w:t>&amp; more</w:t></w:r></w:p></w:body></w:document>`,
		}), []string{"Quarterly memo\nRevenue grew 12%\t& more"}},
		{"deck.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", office(t, map[string]string{
			"ppt/slides/slide2.xml":  `<p:sld xmlns:p="p" ` + a + `><a:p><a:r><a:t>Second slide</a:t></a:r></a:p></p:sld>`,
			"ppt/slides/slide10.xml": `<p:sld xmlns:p="p" ` + a + `><a:p><a:r><a:t>Tenth slide</a:t></a:r></a:p></p:sld>`,
			"ppt/slides/slide1.xml":  `<p:sld xmlns:p="p" ` + a + `><a:p><a:r><a:t>Title slide</a:t></a:r></a:p></p:sld>`,
		}), []string{"Slide 1:\nTitle slide", "Slide 2:\nSecond slide", "Slide 3:\nTenth slide"}},
		{"sheet.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", office(t, map[string]string{
			"xl/sharedStrings.xml":     `<sst><si><t>Item</t></si><si><t>Cost</t></si><si><r><t>Coff</t></r><r><t>ee</t></r></si></sst>`,
			"xl/worksheets/sheet1.xml": `<worksheet><sheetData><row><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row><row><c t="s"><v>2</v></c><c><v>3.5</v></c><c t="inlineStr"><is><t>inline</t></is></c></row></sheetData></worksheet>`,
		}), []string{"Item\tCost\nCoffee\t3.5\tinline"}},
		{"broken.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", []byte("not a zip"), nil},
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o600); err != nil {
			t.Fatal(err)
		}
		var up drive.UploadResult
		toolstest.OK(t, cs, "upload_to_drive", args("path", f.name, "mime_type", f.mime), &up)
		var c drive.FileContent
		toolstest.OK(t, cs, "get_drive_file_content", args("file_id", up.FileID), &c)
		for _, want := range f.want {
			if !strings.Contains(c.Content, want) {
				t.Errorf("%s: content %q lacks %q", f.name, c.Content, want)
			}
		}
		if f.want == nil && (c.Content != "" || !strings.Contains(c.Note, "could not be extracted")) {
			t.Errorf("%s: %+v", f.name, c)
		}
	}
}
