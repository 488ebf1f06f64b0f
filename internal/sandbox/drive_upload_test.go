package sandbox

import (
	"bytes"
	"crypto/md5" //nolint:gosec // comparing Drive's md5Checksum
	"encoding/hex"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"google.golang.org/api/drive/v3"
	"google.golang.org/api/googleapi"
)

func TestDriveCreate(t *testing.T) {
	e := newDriveEnv(t)
	alice := e.svc(driveAlice)
	root := e.sb.DriveRootID(driveAlice)

	folder := driveMust[*drive.File](t)(alice.Files.Create(&drive.File{Name: "Reports", MimeType: MimeFolder}).Fields("id,name,mimeType,parents,owners").Do())
	if folder.MimeType != MimeFolder || !slices.Equal(folder.Parents, []string{root}) || folder.Owners[0].EmailAddress != driveAlice {
		t.Fatalf("folder = %+v", folder)
	}
	empty := driveMust[*drive.File](t)(alice.Files.Create(&drive.File{}).Fields("name,mimeType,size").Do())
	if empty.Name != "Untitled" || empty.MimeType != "application/octet-stream" {
		t.Fatalf("metadata-only file = %+v", empty)
	}

	// Multipart: metadata and a small body in one request.
	payload := "quarterly numbers\n"
	mp := driveMust[*drive.File](t)(alice.Files.Create(&drive.File{Name: "numbers.txt", Parents: []string{folder.Id}}).
		Media(strings.NewReader(payload), googleapi.ContentType("text/plain")).Fields("id,name,mimeType,size,md5Checksum,parents").Do())
	sum := md5.Sum([]byte(payload)) //nolint:gosec // Drive's checksum
	if mp.Size != int64(len(payload)) || mp.Md5Checksum != hex.EncodeToString(sum[:]) || mp.MimeType != "text/plain" || mp.Parents[0] != folder.Id {
		t.Fatalf("multipart = %+v", mp)
	}

	// Resumable: a body larger than one chunk goes in 256 KiB chunks.
	big := bytes.Repeat([]byte("0123456789abcdef"), 40_000) // 640,000 bytes: three chunks
	before := len(e.requests())
	rs := driveMust[*drive.File](t)(alice.Files.Create(&drive.File{Name: "big.bin"}).
		Media(bytes.NewReader(big), googleapi.ContentType("application/octet-stream"), googleapi.ChunkSize(256*1024)).
		Fields("id,size").Do())
	info, _ := e.sb.DriveFile(rs.Id)
	if rs.Size != int64(len(big)) || !bytes.Equal(info.Content, big) {
		t.Fatalf("resumable: size %d, stored %d bytes", rs.Size, len(info.Content))
	}
	got := e.requests()[before:]
	want := []string{
		"POST /upload/drive/v3/files?uploadType=resumable",
		"POST /upload/drive/v3/files?uploadType=resumable&upload_id",
		"POST /upload/drive/v3/files?uploadType=resumable&upload_id",
		"POST /upload/drive/v3/files?uploadType=resumable&upload_id",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("upload requests:\n got %q\nwant %q", got, want)
	}
	if !slices.Contains(e.requests(), "POST /upload/drive/v3/files?uploadType=multipart") ||
		!slices.Contains(e.requests(), "POST /drive/v3/files") {
		t.Fatalf("requests = %q", e.requests())
	}

	// Resumable media update.
	before = len(e.requests())
	driveMust[*drive.File](t)(alice.Files.Update(rs.Id, &drive.File{Name: "big2.bin"}).
		Media(bytes.NewReader(big[:300_000]), googleapi.ChunkSize(256*1024)).Do())
	if info, _ := e.sb.DriveFile(rs.Id); info.Name != "big2.bin" || info.Size != 300_000 {
		t.Fatalf("resumable update: %q %d", info.Name, info.Size)
	}
	if got := e.requests()[before]; got != "PATCH /upload/drive/v3/files/"+rs.Id+"?uploadType=resumable" {
		t.Fatalf("update initiation = %q", got)
	}

	// Upload with conversion to native types.
	doc := driveMust[*drive.File](t)(alice.Files.Create(&drive.File{Name: "Imported", MimeType: MimeDocument}).
		Media(strings.NewReader("# Imported\n\n## Part\n\n- one\n- two\n"), googleapi.ContentType("text/markdown")).Do())
	resp := driveMust[*http.Response](t)(alice.Files.Export(doc.Id, "text/markdown").Download())
	md, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(md) != "# Imported\n\n## Part\n\n* one\n* two\n" {
		t.Fatalf("imported doc = %q", md)
	}
	sheet := driveMust[*drive.File](t)(alice.Files.Create(&drive.File{Name: "Imported sheet", MimeType: MimeSpreadsheet}).
		Media(strings.NewReader("a,b\n1,2\n"), googleapi.ContentType("text/csv")).Do())
	resp = driveMust[*http.Response](t)(alice.Files.Export(sheet.Id, "text/csv").Download())
	csv, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(csv) != "a,b\n1,2\n" {
		t.Fatalf("imported sheet = %q", csv)
	}
	_, err := alice.Files.Create(&drive.File{Name: "x", MimeType: MimeSpreadsheet}).Media(strings.NewReader("%PDF"), googleapi.ContentType("application/pdf")).Do()
	driveWantErr(t, err, 400, "badRequest", "The requested conversion is not supported.")

	// Parents: invisible, read-only, not a folder, two of them.
	bad := []struct {
		name   string
		as     string
		file   *drive.File
		code   int
		reason string
	}{
		{"invisible parent", driveCarol, &drive.File{Name: "x", Parents: []string{SeedDriveProjectsFolderID}}, 404, "notFound"},
		{"read-only parent", driveCarol, &drive.File{Name: "x", Parents: []string{SeedDriveHandbookID}}, 400, "invalid"},
		{"parent not a folder", driveAlice, &drive.File{Name: "x", Parents: []string{SeedDriveLaunchPlanID}}, 400, "invalid"},
		{"two parents", driveAlice, &drive.File{Name: "x", Parents: []string{"root", SeedDriveProjectsFolderID}}, 403, "cannotAddParent"},
		{"commenter's folder", driveBob, &drive.File{Name: "x", Parents: []string{SeedDriveDesignReviewID}}, 400, "invalid"},
		{"shared drive without supportsAllDrives", driveBob, &drive.File{Name: "x", Parents: []string{SeedDriveCampaignsFolderID}}, 404, "notFound"},
		{"bad id", driveAlice, &drive.File{Id: "../x", Name: "x"}, 400, "invalid"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc(tc.as).Files.Create(tc.file).Do()
			driveWantErr(t, err, tc.code, tc.reason, "")
		})
	}
	// bob writes into the folder alice shared with him, and into the shared drive.
	bf := driveMust[*drive.File](t)(e.svc(driveBob).Files.Create(&drive.File{Name: "bob's plan", Parents: []string{SeedDriveQ3FolderID}}).Fields("id,owners").Do())
	if bf.Owners[0].EmailAddress != driveBob {
		t.Fatalf("bob's file in alice's folder: %+v", bf.Owners)
	}
	sd := driveMust[*drive.File](t)(e.svc(driveBob).Files.Create(&drive.File{Name: "bob's brief", Parents: []string{SeedDriveMarketingID}}).
		SupportsAllDrives(true).Fields("id,driveId,owners").Do())
	if sd.DriveId != SeedDriveMarketingID || len(sd.Owners) != 0 {
		t.Fatalf("shared drive create: %+v", sd)
	}
}

func TestDriveRawUploads(t *testing.T) {
	e := newDriveEnv(t)
	tok := e.token(driveAlice, driveTestClient)
	// uploadType=media: the body is the content, the name defaults to Untitled.
	status, _, body := e.raw("POST", "/upload/drive/v3/files?uploadType=media&fields=id,name,mimeType,size", tok,
		strings.NewReader("raw bytes"), "Content-Type", "text/csv")
	if status != 200 || !strings.Contains(string(body), `"name":"Untitled"`) || !strings.Contains(string(body), `"mimeType":"text/csv"`) ||
		!strings.Contains(string(body), `"size":"9"`) {
		t.Fatalf("media upload: %d %s", status, body)
	}
	// The metadata path accepts uploadType too.
	status, _, body = e.raw("POST", "/drive/v3/files?uploadType=media", tok, strings.NewReader("x"), "Content-Type", "text/plain")
	if status != 200 {
		t.Fatalf("media upload on the metadata path: %d %s", status, body)
	}

	// A resumable session by hand, with the plain 308 answers and a status query.
	status, hdr, _ := e.raw("POST", "/upload/drive/v3/files?uploadType=resumable&fields=id,name,size", tok,
		strings.NewReader(`{"name":"by hand.txt"}`), "Content-Type", "application/json", "X-Upload-Content-Type", "text/plain")
	loc := hdr.Get("Location")
	if status != 200 || !strings.HasPrefix(loc, e.srv.URL+"/upload/drive/v3/files?uploadType=resumable&upload_id=") {
		t.Fatalf("initiation: %d Location %q", status, loc)
	}
	path := strings.TrimPrefix(loc, e.srv.URL)
	status, hdr, _ = e.raw("PUT", path, "", strings.NewReader("hello "), "Content-Range", "bytes 0-5/*")
	if status != http.StatusPermanentRedirect || hdr.Get("Range") != "bytes=0-5" {
		t.Fatalf("first chunk: %d %v", status, hdr)
	}
	status, hdr, _ = e.raw("PUT", path, "", nil, "Content-Range", "bytes */*")
	if status != http.StatusPermanentRedirect || hdr.Get("Range") != "bytes=0-5" {
		t.Fatalf("status query: %d %v", status, hdr)
	}
	// A chunk that does not continue where the session is gets the current range back.
	status, hdr, _ = e.raw("PUT", path, "", strings.NewReader("xx"), "Content-Range", "bytes 100-101/*")
	if status != http.StatusPermanentRedirect || hdr.Get("Range") != "bytes=0-5" {
		t.Fatalf("gap: %d %v", status, hdr)
	}
	status, _, body = e.raw("PUT", path, "", strings.NewReader("world"), "Content-Range", "bytes 6-10/11")
	if status != 200 || !strings.Contains(string(body), `"name":"by hand.txt"`) || !strings.Contains(string(body), `"size":"11"`) {
		t.Fatalf("last chunk: %d %s", status, body)
	}
	ids := e.sb.DriveFiles("by hand.txt")
	if info, _ := e.sb.DriveFile(ids[0]); len(ids) != 1 || string(info.Content) != "hello world" || info.MimeType != "text/plain" {
		t.Fatalf("session result: %v %+v", ids, info)
	}
	// The session is gone once complete; unknown sessions are 404.
	if status, _, _ := e.raw("PUT", path, "", strings.NewReader("again"), "Content-Range", "bytes 0-4/5"); status != 404 {
		t.Fatalf("reused session: %d", status)
	}
	if status, _, _ := e.raw("PUT", "/upload/drive/v3/files?uploadType=resumable&upload_id=forged", "", strings.NewReader("x"), "Content-Range", "bytes 0-0/1"); status != 404 {
		t.Fatalf("forged session: %d", status)
	}

	bad := []struct {
		name, method, path, ctype, body string
		hdr                             []string
		status                          int
	}{
		{"bad Content-Range", "PUT", "", "", "x", []string{"Content-Range", "chunks 1-2"}, 400},
		{"unknown uploadType", "POST", "/upload/drive/v3/files?uploadType=ftp", "text/plain", "x", nil, 400},
		{"multipart without boundary", "POST", "/upload/drive/v3/files?uploadType=multipart", "multipart/related", "x", nil, 400},
		{"multipart with one part", "POST", "/upload/drive/v3/files?uploadType=multipart", "multipart/related; boundary=b",
			"--b\r\nContent-Type: application/json\r\n\r\n{}\r\n--b--\r\n", nil, 400},
		{"multipart with broken JSON", "POST", "/upload/drive/v3/files?uploadType=multipart", "multipart/related; boundary=b",
			"--b\r\nContent-Type: application/json\r\n\r\n{nope\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n", nil, 400},
		{"PUT without a session", "PUT", "/upload/drive/v3/files", "text/plain", "x", nil, 400},
	}
	// A fresh session for the Content-Range case.
	_, hdr, _ = e.raw("POST", "/upload/drive/v3/files?uploadType=resumable", tok, strings.NewReader(`{}`), "Content-Type", "application/json")
	session := strings.TrimPrefix(hdr.Get("Location"), e.srv.URL)
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.path
			if p == "" {
				p = session
			}
			h := append([]string{"Content-Type", tc.ctype}, tc.hdr...)
			status, _, body := e.raw(tc.method, p, tok, strings.NewReader(tc.body), h...)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
		})
	}
	// Without a Drive write scope no session starts.
	ro := e.token(driveAlice, driveTestClient, driveScopeReadonly)
	if status, _, _ := e.raw("POST", "/upload/drive/v3/files?uploadType=resumable", ro, strings.NewReader(`{}`), "Content-Type", "application/json"); status != 403 {
		t.Fatalf("readonly resumable: %d", status)
	}
	// Scripted failures reach chunks too; the client would retry.
	e.sb.FailAPI("drive", 1, APIFailure{Status: 503})
	if status, _, _ := e.raw("PUT", session, "", strings.NewReader("x"), "Content-Range", "bytes 0-0/1"); status != 503 {
		t.Fatalf("scripted failure on a chunk: %d", status)
	}
}
