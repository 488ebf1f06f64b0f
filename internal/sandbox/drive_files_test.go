package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/drive/v3"
	"google.golang.org/api/googleapi"
)

func TestDriveGet(t *testing.T) {
	e := newDriveEnv(t)
	alice := e.svc(driveAlice)
	f := driveMust[*drive.File](t)(alice.Files.Get(SeedDriveLaunchPlanID).
		Fields("id,name,mimeType,parents,owners,webViewLink,iconLink,capabilities(canEdit,canShare),size,createdTime,modifiedTime,version,starred,trashed,shared,exportLinks").Do())
	if f.Name != "Q3 Launch Plan" || f.MimeType != MimeDocument || !slices.Equal(f.Parents, []string{SeedDriveQ3FolderID}) {
		t.Fatalf("file = %+v", f)
	}
	if len(f.Owners) != 1 || f.Owners[0].EmailAddress != driveAlice || !f.Owners[0].Me || f.Size != 0 {
		t.Fatalf("owners/size = %+v %d", f.Owners, f.Size)
	}
	if !strings.Contains(f.WebViewLink, "/document/d/"+SeedDriveLaunchPlanID) || f.ExportLinks["text/markdown"] == "" || !f.Shared || !f.Starred {
		t.Fatalf("links/flags = %+v", f)
	}
	if !f.Capabilities.CanEdit || !f.Capabilities.CanShare || f.CreatedTime == "" || f.Version == 0 {
		t.Fatalf("capabilities = %+v", f.Capabilities)
	}
	bin := driveMust[*drive.File](t)(alice.Files.Get(SeedDriveReleaseNotesID).Fields("size,md5Checksum,webContentLink,fileExtension").Do())
	if bin.Size == 0 || len(bin.Md5Checksum) != 32 || bin.WebContentLink == "" || bin.FileExtension != "txt" {
		t.Fatalf("binary file = %+v", bin)
	}
	root := driveMust[*drive.File](t)(alice.Files.Get("root").Fields("id,name").Do())
	if root.Name != "My Drive" || root.Id != e.sb.DriveRootID(driveAlice) {
		t.Fatalf("root = %+v", root)
	}

	// bob writes through the shared folder; carol sees nothing but the public file.
	bf := driveMust[*drive.File](t)(e.svc(driveBob).Files.Get(SeedDriveLaunchPlanID).Fields("capabilities,ownedByMe").Do())
	if !bf.Capabilities.CanEdit || bf.Capabilities.CanDelete || bf.OwnedByMe {
		t.Fatalf("bob's capabilities = %+v", bf.Capabilities)
	}
	rv := driveMust[*drive.File](t)(e.svc(driveBob).Files.Get(SeedDriveDesignReviewID).Fields("capabilities").Do())
	if rv.Capabilities.CanEdit || !rv.Capabilities.CanComment {
		t.Fatalf("commenter capabilities = %+v", rv.Capabilities)
	}
	carol := e.svc(driveCarol)
	_, err := carol.Files.Get(SeedDriveLaunchPlanID).Do()
	driveWantErr(t, err, 404, "notFound", "File not found: "+SeedDriveLaunchPlanID+".")
	if _, err := carol.Files.Get(SeedDrivePublicFAQID).Do(); err != nil {
		t.Fatalf("carol cannot read the public file: %v", err)
	}
	_, err = carol.Files.Get("../../etc/passwd").Do()
	driveWantErr(t, err, 404, "notFound", "")

	_, err = alice.Files.Get(SeedDriveLaunchPlanID).Fields("id,nope").Do()
	driveWantErr(t, err, 400, "invalidParameter", "Invalid field selection nope")

	tok := e.token(driveAlice, driveTestClient)
	status, hdr, body := e.raw("GET", "/drive/v3/files/"+SeedDriveLaunchPlanID, tok, nil)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil || status != 200 || len(m) != 4 || m["id"] != SeedDriveLaunchPlanID ||
		hdr.Get("ETag") == "" {
		t.Fatalf("default fields: %d %s", status, body)
	}
	status, _, body = e.raw("GET", "/drive/v3/files/"+SeedDriveLaunchPlanID+"?fields=*", tok, nil)
	if status != 200 || !strings.Contains(string(body), `"capabilities"`) || !strings.Contains(string(body), `"version":"`) {
		t.Fatalf("fields=*: %d %s", status, body)
	}
	if status, _, _ := e.raw("GET", "/drive/v3/files/"+SeedDriveLaunchPlanID+"?alt=proto", tok, nil); status != 400 {
		t.Fatalf("alt=proto: %d", status)
	}
}

func TestDriveExport(t *testing.T) {
	e := newDriveEnv(t)
	svc := e.svc(driveAlice, driveScopeReadonly)
	tests := []struct {
		id, mime string
		want     []string
		ctype    string
	}{
		{SeedDriveLaunchPlanID, "text/plain", []string{"\ufeffQ3 Launch Plan\r\n", "\r\n* Reach 1,000 active teams", "Goals\r\n"}, "text/plain; charset=utf-8"},
		{SeedDriveLaunchPlanID, "text/markdown", []string{"# Q3 Launch Plan\n", "\n## Goals\n", "* Reach 1,000", "### Risks\n"}, "text/markdown; charset=utf-8"},
		{SeedDriveLaunchPlanID, "text/html", []string{"<title>Q3 Launch Plan</title>", "<h1><span>Goals</span></h1>", "<ul><li>"}, "text/html; charset=utf-8"},
		{SeedDriveLaunchPlanID, "application/pdf", []string{"%PDF-1.4", "(Q3 Launch Plan) Tj", "%%EOF"}, "application/pdf"},
		{SeedDriveBudgetID, "text/csv", []string{"Category,Q1,Q2,Q3,Q4,Total\nMarketing,12000,"}, "text/csv; charset=utf-8"},
		{SeedDriveBudgetID, "text/tab-separated-values", []string{"Category\tQ1\tQ2"}, "text/tab-separated-values; charset=utf-8"},
		{SeedDriveLaunchDeckID, "text/plain", []string{"Q3 Launch\r\nSandbox product", "Why now"}, "text/plain; charset=utf-8"},
	}
	for _, tc := range tests {
		t.Run(tc.id+" "+tc.mime, func(t *testing.T) {
			resp := driveMust[*http.Response](t)(svc.Files.Export(tc.id, tc.mime).Download())
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			for _, w := range tc.want {
				if !strings.Contains(string(body), w) {
					t.Fatalf("export lacks %q:\n%q", w, body)
				}
			}
			if ct := resp.Header.Get("Content-Type"); ct != tc.ctype {
				t.Fatalf("Content-Type = %q", ct)
			}
		})
	}
	bad := []struct {
		id, mime, reason string
		code             int
	}{
		{SeedDriveLaunchPlanID, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "badRequest", 400},
		{SeedDriveBudgetID, "text/plain", "badRequest", 400},
		{SeedDriveReleaseNotesID, "text/plain", "fileNotExportable", 403},
		{SeedDriveProjectsFolderID, "text/plain", "fileNotExportable", 403},
		{"1sbxNoSuchFile", "text/plain", "notFound", 404},
	}
	for _, tc := range bad {
		_, err := svc.Files.Export(tc.id, tc.mime).Download()
		driveWantErr(t, err, tc.code, tc.reason, "")
	}
	status, _, body := e.raw("GET", "/drive/v3/files/"+SeedDriveLaunchPlanID+"/export", e.token(driveAlice, driveTestClient), nil)
	if g := driveDecodeErr(t, body); status != 400 || g.Error.Errors[0].Location != "mimeType" {
		t.Fatalf("export without mimeType: %d %s", status, body)
	}
	// A Doc bigger than 10 MB cannot be exported.
	big := driveMust[*drive.File](t)(e.svc(driveAlice).Files.Create(&drive.File{Name: "Huge", MimeType: MimeDocument}).
		Media(strings.NewReader(strings.Repeat("lorem ipsum dolor sit amet\n", 420_000)), googleapi.ContentType("text/plain")).Do())
	_, err := svc.Files.Export(big.Id, "text/plain").Download()
	driveWantErr(t, err, 403, "exportSizeLimitExceeded", "This file is too large to be exported.")
}

func TestDriveDownload(t *testing.T) {
	e := newDriveEnv(t)
	svc := e.svc(driveAlice, driveScopeReadonly)
	resp := driveMust[*http.Response](t)(svc.Files.Get(SeedDriveReleaseNotesID).Download())
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	info, _ := e.sb.DriveFile(SeedDriveReleaseNotesID)
	if !bytes.Equal(body, info.Content) || resp.Header.Get("Content-Type") != "text/plain" {
		t.Fatalf("download: %q %s", body, resp.Header.Get("Content-Type"))
	}
	pdf := driveMust[*http.Response](t)(svc.Files.Get(SeedDriveContractPDFID).Download())
	pb, _ := io.ReadAll(pdf.Body)
	pdf.Body.Close()
	if !bytes.HasPrefix(pb, []byte("%PDF-")) || pdf.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("pdf: %q", pb[:min(len(pb), 20)])
	}
	status, hdr, part := e.raw("GET", "/drive/v3/files/"+SeedDriveReleaseNotesID+"?alt=media", e.token(driveAlice, driveTestClient), nil, "Range", "bytes=0-6")
	if status != 206 || string(part) != "Release" || !strings.HasPrefix(hdr.Get("Content-Range"), "bytes 0-6/") {
		t.Fatalf("range: %d %q %v", status, part, hdr)
	}
	_, err := svc.Files.Get(SeedDriveLaunchPlanID).Download()
	driveWantErr(t, err, 403, "fileNotDownloadable", "Only files with binary content can be downloaded. Use Export with Docs Editors files.")
	_, err = svc.Files.Get(SeedDriveProjectsFolderID).Download()
	driveWantErr(t, err, 403, "fileNotDownloadable", "")
	_, err = e.svc(driveCarol).Files.Get(SeedDriveReleaseNotesID).Download()
	driveWantErr(t, err, 404, "notFound", "")
}

func TestDriveUpdate(t *testing.T) {
	e := newDriveEnv(t)
	alice := e.svc(driveAlice)
	before, _ := e.sb.DriveFile(SeedDriveBudgetID)
	e.clock.Advance(time.Minute)
	u := driveMust[*drive.File](t)(alice.Files.Update(SeedDriveBudgetID, &drive.File{Name: "Budget 2026 (final)", Description: "Approved"}).
		Fields("name,description,modifiedTime,version,lastModifyingUser").Do())
	after, _ := e.sb.DriveFile(SeedDriveBudgetID)
	if u.Name != "Budget 2026 (final)" || after.Description != "Approved" || !after.Modified.After(before.Modified) || after.Version <= before.Version {
		t.Fatalf("rename: %+v", after)
	}
	// Move: Projects -> Q3 Launch.
	driveMust[*drive.File](t)(alice.Files.Update(SeedDriveBudgetID, &drive.File{}).AddParents(SeedDriveQ3FolderID).RemoveParents(SeedDriveProjectsFolderID).Do())
	if info, _ := e.sb.DriveFile(SeedDriveBudgetID); !slices.Equal(info.Parents, []string{SeedDriveQ3FolderID}) {
		t.Fatalf("parents after move = %v", info.Parents)
	}
	// Moving gave bob access through the folder.
	if _, err := e.svc(driveBob).Files.Get(SeedDriveBudgetID).Do(); err != nil {
		t.Fatalf("bob after the move: %v", err)
	}
	// Star is per person.
	driveMust[*drive.File](t)(e.svc(driveBob).Files.Update(SeedDriveBudgetID, &drive.File{Starred: true}).Do())
	if s := driveMust[*drive.File](t)(alice.Files.Get(SeedDriveBudgetID).Fields("starred").Do()); s.Starred {
		t.Fatal("bob's star shows for alice")
	}
	// Trash a folder: its items follow.
	driveMust[*drive.File](t)(alice.Files.Update(SeedDriveQ3FolderID, &drive.File{Trashed: true}).Do())
	if info, _ := e.sb.DriveFile(SeedDriveLaunchPlanID); !info.Trashed {
		t.Fatal("child of a trashed folder is not trashed")
	}
	l := driveMust[*drive.FileList](t)(alice.Files.List().Q("trashed = true").PageSize(100).Do())
	if len(l.Files) != 5 { // Old Draft, Q3 Launch, plan, deck, budget
		t.Fatalf("trashed = %v", driveFileIDs(l.Files))
	}
	restored := driveMust[*drive.File](t)(alice.Files.Update(SeedDriveQ3FolderID, &drive.File{Trashed: false, ForceSendFields: []string{"Trashed"}}).
		Fields("trashed").Do())
	if info, _ := e.sb.DriveFile(SeedDriveLaunchPlanID); info.Trashed || restored.Trashed {
		t.Fatal("untrashing the folder did not restore its items")
	}
	// Media update.
	driveMust[*drive.File](t)(alice.Files.Update(SeedDriveReleaseNotesID, &drive.File{}).Media(strings.NewReader("Release 2.0\n")).Do())
	if info, _ := e.sb.DriveFile(SeedDriveReleaseNotesID); string(info.Content) != "Release 2.0\n" || info.Size != 12 {
		t.Fatalf("content after media update = %q", info.Content)
	}
	// Docs take converted content.
	driveMust[*drive.File](t)(alice.Files.Update(SeedDriveDesignReviewID, &drive.File{}).
		Media(strings.NewReader("# Design Review\n\nAll approved."), googleapi.ContentType("text/markdown")).Do())
	resp := driveMust[*http.Response](t)(alice.Files.Export(SeedDriveDesignReviewID, "text/markdown").Download())
	md, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(md) != "# Design Review\n\nAll approved.\n" {
		t.Fatalf("updated doc = %q", md)
	}

	bad := []struct {
		name   string
		call   func() error
		code   int
		reason string
	}{
		{"parents in body", func() error {
			_, err := alice.Files.Update(SeedDriveBudgetID, &drive.File{Parents: []string{SeedDriveProjectsFolderID}}).Do()
			return err
		}, 403, "fieldNotWritable"},
		{"two parents", func() error {
			_, err := alice.Files.Update(SeedDriveBudgetID, &drive.File{}).AddParents(SeedDriveProjectsFolderID).Do()
			return err
		}, 403, "cannotAddParent"},
		{"cycle", func() error {
			_, err := alice.Files.Update(SeedDriveProjectsFolderID, &drive.File{}).AddParents(SeedDriveQ3FolderID).RemoveParents("root").Do()
			return err
		}, 400, "invalid"},
		{"parent is no folder", func() error {
			_, err := alice.Files.Update(SeedDriveBudgetID, &drive.File{}).AddParents(SeedDriveLaunchPlanID).RemoveParents(SeedDriveQ3FolderID).Do()
			return err
		}, 400, "invalid"},
		{"commenter renames", func() error {
			_, err := e.svc(driveBob).Files.Update(SeedDriveDesignReviewID, &drive.File{Name: "mine"}).Do()
			return err
		}, 403, "insufficientFilePermissions"},
		{"writer trashes someone else's file", func() error {
			_, err := e.svc(driveBob).Files.Update(SeedDriveLaunchPlanID, &drive.File{Trashed: true}).Do()
			return err
		}, 403, "insufficientFilePermissions"},
		{"stranger updates", func() error {
			_, err := e.svc(driveCarol).Files.Update(SeedDriveLaunchPlanID, &drive.File{Name: "x"}).Do()
			return err
		}, 404, "notFound"},
		{"reader of a public file updates", func() error {
			_, err := e.svc(driveCarol).Files.Update(SeedDrivePublicFAQID, &drive.File{Name: "x"}).Do()
			return err
		}, 403, "insufficientFilePermissions"},
		{"doc becomes a pdf", func() error {
			_, err := alice.Files.Update(SeedDriveLaunchPlanID, &drive.File{MimeType: "application/pdf"}).Do()
			return err
		}, 403, "fieldNotWritable"},
		{"move into a folder one cannot write", func() error {
			_, err := e.svc(driveBob).Files.Update(SeedDriveBobNotesID, &drive.File{}).AddParents(SeedDriveHandbookID).Do()
			return err
		}, 400, "invalid"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) { driveWantErr(t, tc.call(), tc.code, tc.reason, "") })
	}
	// The writer renamed through the folder: allowed.
	if _, err := e.svc(driveBob).Files.Update(SeedDriveLaunchPlanID, &drive.File{Name: "Q3 Launch Plan (bob)"}).Do(); err != nil {
		t.Fatalf("writer rename: %v", err)
	}
	// A raw PATCH with a broken body is a 400, never a 500.
	status, _, _ := e.raw("PATCH", "/drive/v3/files/"+SeedDriveBudgetID, e.token(driveAlice, driveTestClient), strings.NewReader("{not json"))
	if status != 400 {
		t.Fatalf("broken JSON: %d", status)
	}
}

func TestDriveMoveIntoSharedDrive(t *testing.T) {
	e := newDriveEnv(t)
	alice := e.svc(driveAlice)
	driveMust[*drive.File](t)(alice.Files.Update(SeedDriveReleaseNotesID, &drive.File{}).AddParents(SeedDriveCampaignsFolderID).
		RemoveParents("root").SupportsAllDrives(true).Do())
	info, _ := e.sb.DriveFile(SeedDriveReleaseNotesID)
	if info.DriveID != SeedDriveMarketingID || info.Owner != "" {
		t.Fatalf("after move into the shared drive: %+v", info)
	}
	_, err := alice.Files.Update(SeedDriveReleaseNotesID, &drive.File{}).AddParents("root").RemoveParents(SeedDriveCampaignsFolderID).
		SupportsAllDrives(true).Do()
	driveWantErr(t, err, 403, "cannotMoveTeamDriveItem", "")
	// bob is no owner of alice's Design Review: he cannot move it into the shared drive.
	_, err = e.svc(driveBob).Files.Update(SeedDriveLaunchPlanID, &drive.File{}).AddParents(SeedDriveCampaignsFolderID).
		RemoveParents(SeedDriveQ3FolderID).SupportsAllDrives(true).Do()
	driveWantErr(t, err, 403, "insufficientFilePermissions", "")
}

func TestDriveCopy(t *testing.T) {
	e := newDriveEnv(t)
	alice := e.svc(driveAlice)
	c := driveMust[*drive.File](t)(alice.Files.Copy(SeedDriveLaunchPlanID, &drive.File{}).Fields("id,name,parents,owners,mimeType").Do())
	if c.Name != "Copy of Q3 Launch Plan" || !slices.Equal(c.Parents, []string{SeedDriveQ3FolderID}) || c.Owners[0].EmailAddress != driveAlice {
		t.Fatalf("copy = %+v", c)
	}
	resp := driveMust[*http.Response](t)(alice.Files.Export(c.Id, "text/markdown").Download())
	md, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(string(md), "# Q3 Launch Plan\n") {
		t.Fatalf("copied content = %q", md)
	}
	carol := e.svc(driveCarol)
	cc := driveMust[*drive.File](t)(carol.Files.Copy(SeedDrivePublicFAQID, &drive.File{Name: "My FAQ"}).Fields("id,name,parents,owners").Do())
	if cc.Name != "My FAQ" || !slices.Equal(cc.Parents, []string{e.sb.DriveRootID(driveCarol)}) || cc.Owners[0].EmailAddress != driveCarol {
		t.Fatalf("carol's copy = %+v", cc)
	}
	bin := driveMust[*drive.File](t)(alice.Files.Copy(SeedDriveContractPDFID, &drive.File{Parents: []string{"root"}}).Fields("id,size,md5Checksum,parents").Do())
	orig := driveMust[*drive.File](t)(alice.Files.Get(SeedDriveContractPDFID).Fields("md5Checksum").Do())
	if bin.Md5Checksum != orig.Md5Checksum || bin.Parents[0] != e.sb.DriveRootID(driveAlice) {
		t.Fatalf("binary copy = %+v", bin)
	}
	_, err := alice.Files.Copy(SeedDriveProjectsFolderID, &drive.File{}).Do()
	driveWantErr(t, err, 403, "cannotCopyFile", "")
	_, err = carol.Files.Copy(SeedDriveLaunchPlanID, &drive.File{}).Do()
	driveWantErr(t, err, 404, "notFound", "")
	_, err = carol.Files.Copy(SeedDrivePublicFAQID, &drive.File{Parents: []string{SeedDriveProjectsFolderID}}).Do()
	driveWantErr(t, err, 404, "notFound", "")
}

func TestDriveDelete(t *testing.T) {
	e := newDriveEnv(t)
	bob := e.svc(driveBob)
	driveWantErr(t, bob.Files.Delete(SeedDriveLaunchPlanID).Do(), 403, "insufficientFilePermissions", "")
	driveWantErr(t, e.svc(driveCarol).Files.Delete(SeedDriveLaunchPlanID).Do(), 404, "notFound", "")
	driveWantErr(t, e.svc(driveAlice).Files.Delete("root").Do(), 403, "insufficientFilePermissions", "")

	// A file bob put in alice's shared folder survives the folder's deletion, orphaned.
	mine := driveMust[*drive.File](t)(bob.Files.Create(&drive.File{Name: "bob in Q3", Parents: []string{SeedDriveQ3FolderID}}).Do())
	if err := e.svc(driveAlice).Files.Delete(SeedDriveQ3FolderID).Do(); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{SeedDriveQ3FolderID, SeedDriveLaunchPlanID, SeedDriveLaunchDeckID} {
		if _, ok := e.sb.DriveFile(id); ok {
			t.Fatalf("%s survived its folder's deletion", id)
		}
	}
	if info, ok := e.sb.DriveFile(mine.Id); !ok || len(info.Parents) != 0 {
		t.Fatalf("bob's file: %v %+v", ok, info)
	}
	_, err := e.svc(driveAlice).Files.Get(SeedDriveQ3FolderID).Do()
	driveWantErr(t, err, 404, "notFound", "")

	// Shared drive: a writer cannot delete, the organizer can.
	driveWantErr(t, bob.Files.Delete(SeedDriveBrandGuidelinesID).SupportsAllDrives(true).Do(), 403, "insufficientFilePermissions", "")
	driveWantErr(t, e.svc(driveAlice).Files.Delete(SeedDriveBrandGuidelinesID).Do(), 404, "notFound", "")
	if err := e.svc(driveAlice).Files.Delete(SeedDriveCampaignsFolderID).SupportsAllDrives(true).Do(); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.sb.DriveFile(SeedDriveCampaignBriefID); ok {
		t.Fatal("campaign brief survived its folder")
	}

	// Empty trash removes alice's trashed files only.
	if err := e.svc(driveAlice).Files.EmptyTrash().Do(); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.sb.DriveFile(SeedDriveOldDraftID); ok {
		t.Fatal("Old Draft survived emptyTrash")
	}
}
