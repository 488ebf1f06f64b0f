package sandbox

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/drive/v3"
)

func TestDriveListQueries(t *testing.T) {
	e := newDriveEnv(t)
	now := e.clock.Now()
	notes := []string{SeedDriveMeetingFolderID}
	for i := 1; i <= SeedDriveMeetingNotesCount; i++ {
		notes = append(notes, SeedDriveMeetingNoteID(i))
	}
	tests := []struct {
		name, as, q string
		want        []string
	}{
		{"name equals", driveAlice, "name = 'Q3 Launch Plan'", []string{SeedDriveLaunchPlanID}},
		{"name equals is case-insensitive", driveAlice, "name = 'q3 launch plan'", []string{SeedDriveLaunchPlanID}},
		{"name contains a word prefix", driveAlice, "name contains 'Launch'",
			[]string{SeedDriveQ3FolderID, SeedDriveLaunchPlanID, SeedDriveLaunchDeckID}},
		{"name contains is not a substring match", driveAlice, "name contains 'aunch'", nil},
		{"name not equal", driveAlice, "name != 'Q3 Launch Plan' and name contains 'Launch'",
			[]string{SeedDriveQ3FolderID, SeedDriveLaunchDeckID}},
		{"fullText searches names and content", driveAlice, "fullText contains 'vendor'",
			[]string{SeedDriveLaunchPlanID, SeedDriveLaunchDeckID, SeedDriveContractPDFID}},
		{"fullText exact phrase", driveAlice, `fullText contains '"vendor contract renewal"'`, []string{SeedDriveLaunchPlanID}},
		{"fullText whole words only", driveAlice, "fullText contains 'vend'", nil},
		{"folders", driveAlice, "mimeType = 'application/vnd.google-apps.folder'",
			[]string{SeedDriveProjectsFolderID, SeedDriveQ3FolderID, SeedDriveMeetingFolderID}},
		{"not docs in a folder", driveAlice, "mimeType != 'application/vnd.google-apps.document' and '" + SeedDriveProjectsFolderID + "' in parents",
			[]string{SeedDriveQ3FolderID, SeedDriveBudgetID, SeedDriveContractPDFID}},
		{"root alias, untrashed", driveAlice, "'root' in parents and trashed = false",
			[]string{SeedDriveProjectsFolderID, SeedDriveMeetingFolderID, SeedDriveReleaseNotesID, SeedDriveDesignReviewID,
				SeedDrivePublicFAQID, SeedDriveHandbookID}},
		{"trashed", driveAlice, "trashed = true", []string{SeedDriveOldDraftID}},
		{"starred", driveAlice, "starred = true", []string{SeedDriveLaunchPlanID, SeedDriveReleaseNotesID}},
		{"writers include inherited access", driveAlice, "'bob@sandbox.example' in writers",
			[]string{SeedDriveQ3FolderID, SeedDriveLaunchPlanID, SeedDriveLaunchDeckID}},
		{"readers but not writers", driveAlice, "'bob@sandbox.example' in readers and not 'bob@sandbox.example' in writers",
			[]string{SeedDriveDesignReviewID, SeedDriveHandbookID, SeedDrivePublicFAQID}},
		{"owners and name", driveAlice, "'alice@sandbox.example' in owners and name contains 'Meeting notes'", notes},
		{"modifiedTime after", driveAlice, "modifiedTime > '" + now.Add(-36*time.Hour).Format(time.RFC3339) + "'",
			[]string{SeedDriveReleaseNotesID, SeedDriveMeetingNoteID(SeedDriveMeetingNotesCount)}},
		{"createdTime before, no zone", driveAlice, "createdTime <= '" + now.Add(-165*24*time.Hour).Format("2006-01-02T15:04:05") + "'",
			[]string{SeedDriveMeetingFolderID}},
		{"or, parentheses and not", driveAlice, "(name contains 'Budget' or name contains 'Deck') and not trashed = true",
			[]string{SeedDriveBudgetID, SeedDriveLaunchDeckID}},
		{"keywords are case-insensitive", driveAlice, "name = 'Budget 2026' OR name = 'Launch Deck'",
			[]string{SeedDriveBudgetID, SeedDriveLaunchDeckID}},
		{"escaped quote", driveBob, `name = 'Bob\'s Notes.txt'`, []string{SeedDriveBobNotesID}},
		{"sharedWithMe bare", driveBob, "sharedWithMe", []string{SeedDriveQ3FolderID, SeedDriveDesignReviewID}},
		{"sharedWithMe = true", driveCarol, "sharedWithMe = true", []string{SeedDriveBobOffsiteID}},
		{"bob's corpus: own files and shares", driveBob, "trashed = false and mimeType != 'application/vnd.google-apps.folder'",
			[]string{SeedDriveLaunchPlanID, SeedDriveLaunchDeckID, SeedDriveDesignReviewID, SeedDriveBobNotesID,
				SeedDriveBobExpensesID, SeedDriveBobOffsiteID}},
		{"carol sees only what is shared with her", driveCarol, "", []string{SeedDriveBobOffsiteID}},
		{"visibility", driveAlice, "visibility = 'anyoneWithLink'", []string{SeedDrivePublicFAQID}},
		{"viewedByMeTime never viewed", driveAlice, "viewedByMeTime > '2000-01-01T00:00:00Z'", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			list := driveMust[*drive.FileList](t)(e.svc(tc.as).Files.List().Q(tc.q).PageSize(1000).Fields("files(id,name)").Do())
			if got, want := driveFileIDs(list.Files), driveSorted(tc.want...); !slices.Equal(got, want) {
				names := []string{}
				for _, f := range list.Files {
					names = append(names, f.Name)
				}
				t.Fatalf("q=%s\n got %v (%v)\nwant %v", tc.q, got, names, want)
			}
		})
	}
}

func TestDriveListMalformedQuery(t *testing.T) {
	e := newDriveEnv(t)
	svc := e.svc(driveAlice)
	bad := []string{
		"name = ", "name = 'unterminated", "foo = 'x'", "name > 'x'", "trashed = 'yes'", "(name = 'x'",
		"name = 'x')", "'x' in nowhere", "'x' in", "modifiedTime > 'yesterday'", "name = 'a' and", "fullText = 'x'",
		"starred", "name contains 'a' && name contains 'b'", "visibility = 'everyone'", "name = \"double\"",
		strings.Repeat("(", 200) + "name = 'x'" + strings.Repeat(")", 200), "not", "sharedWithMe = maybe", "name ! 'x'",
	}
	for _, q := range bad {
		t.Run(q[:min(len(q), 30)], func(t *testing.T) {
			_, err := svc.Files.List().Q(q).Do()
			driveWantErr(t, err, 400, "invalid", "Invalid Value")
		})
	}
	// Google names the parameter at fault.
	status, _, body := e.raw("GET", "/drive/v3/files?q="+url.QueryEscape("name = "), e.token(driveAlice, driveTestClient), nil)
	g := driveDecodeErr(t, body)
	if status != 400 || g.Error.Errors[0].Location != "q" || g.Error.Errors[0].LocationType != "parameter" || g.Error.Status != "INVALID_ARGUMENT" {
		t.Fatalf("malformed q: %d %s", status, body)
	}
}

func TestDriveListParameters(t *testing.T) {
	e := newDriveEnv(t)
	tok := e.token(driveAlice, driveTestClient)
	tests := []struct {
		query, reason, location string
		status                  int
	}{
		{"pageSize=1001", "invalid", "pageSize", 400},
		{"pageSize=-1", "invalid", "pageSize", 400},
		{"pageSize=ten", "invalid", "pageSize", 400},
		{"pageToken=not-a-token", "invalid", "pageToken", 400},
		{"orderBy=size", "invalid", "orderBy", 400},
		{"orderBy=name%20sideways", "invalid", "orderBy", 400},
		{"corpora=everything", "invalid", "corpora", 400},
		{"spaces=cloud", "invalid", "spaces", 400},
		{"includeItemsFromAllDrives=yes", "invalid", "includeItemsFromAllDrives", 400},
		{"fields=files(id,nope)", "invalidParameter", "fields", 400},
		{"fields=id,name", "invalidParameter", "fields", 400},
		{"fields=files(id", "invalidParameter", "fields", 400},
		{"driveId=" + SeedDriveMarketingID, "teamDriveIdRequiresTeamDriveCorpora", "driveId", 400},
		{"corpora=drive&includeItemsFromAllDrives=true&supportsAllDrives=true", "teamDriveIdRequiresTeamDriveCorpora", "driveId", 400},
		{"corpora=drive&driveId=" + SeedDriveMarketingID, "teamDriveIncludeItemsRequired", "includeItemsFromAllDrives", 403},
		{"corpora=allDrives", "teamDriveIncludeItemsRequired", "includeItemsFromAllDrives", 403},
		{"corpora=drive&driveId=0ANoSuchDrive&includeItemsFromAllDrives=true&supportsAllDrives=true", "notFound", "driveId", 404},
		{"alt=xml", "", "", 0}, // alt is ignored by files.list like any other unknown parameter: 200
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			status, _, body := e.raw("GET", "/drive/v3/files?"+tc.query, tok, nil)
			if tc.status == 0 {
				if status != 200 {
					t.Fatalf("status %d: %s", status, body)
				}
				return
			}
			g := driveDecodeErr(t, body)
			if status != tc.status || g.Error.Errors[0].Reason != tc.reason || g.Error.Errors[0].Location != tc.location {
				t.Fatalf("got %d %s, want %d %s at %s", status, body, tc.status, tc.reason, tc.location)
			}
		})
	}
}

func TestDriveListPaginationAndOrder(t *testing.T) {
	e := newDriveEnv(t)
	svc := e.svc(driveAlice)
	q := "'" + SeedDriveMeetingFolderID + "' in parents"
	var pages [][]string
	var all []string
	err := svc.Files.List().Q(q).PageSize(10).OrderBy("name").Fields("nextPageToken,files(id,name)").
		Pages(t.Context(), func(l *drive.FileList) error {
			var names []string
			for _, f := range l.Files {
				names = append(names, f.Name)
				all = append(all, f.Id)
			}
			pages = append(pages, names)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 3 || len(pages[0]) != 10 || len(pages[1]) != 10 || len(pages[2]) != 4 {
		t.Fatalf("pages = %v", pages)
	}
	flat := slices.Concat(pages...)
	if !slices.IsSorted(flat) {
		t.Fatalf("not ordered by name: %v", flat)
	}
	slices.Sort(all)
	if len(slices.Compact(all)) != SeedDriveMeetingNotesCount {
		t.Fatalf("duplicates or gaps across pages: %d ids", len(all))
	}

	// Default page size is 100; alice has more than 30 items.
	list := driveMust[*drive.FileList](t)(svc.Files.List().Do())
	if len(list.Files) < 30 || list.NextPageToken != "" {
		t.Fatalf("default list: %d files, next %q", len(list.Files), list.NextPageToken)
	}
	// Default fields are kind, id, name and mimeType.
	status, _, body := e.raw("GET", "/drive/v3/files?pageSize=1", e.token(driveAlice, driveTestClient), nil)
	var raw struct {
		Files []map[string]any `json:"files"`
	}
	if err := json.Unmarshal(body, &raw); err != nil || status != 200 || len(raw.Files) != 1 {
		t.Fatalf("raw list: %d %s", status, body)
	}
	if len(raw.Files[0]) != 4 || raw.Files[0]["kind"] != "drive#file" {
		t.Fatalf("default file fields = %v", raw.Files[0])
	}
	if !strings.Contains(string(body), `"nextPageToken"`) || !strings.Contains(string(body), `"incompleteSearch":false`) {
		t.Fatalf("default list fields: %s", body)
	}

	tests := []struct {
		orderBy string
		first   string
	}{
		{"folder,name", SeedDriveMeetingFolderID},                                 // folders first: "Meeting Notes" < "Projects" < "Q3 Launch"
		{"modifiedTime desc", SeedDriveMeetingNoteID(SeedDriveMeetingNotesCount)}, // 4 hours old
		{"modifiedTime", SeedDriveMeetingFolderID},
		{"name desc", SeedDriveContractPDFID},
		{"starred desc,name", SeedDriveLaunchPlanID},
		{"createdTime", SeedDriveMeetingFolderID},
	}
	for _, tc := range tests {
		l := driveMust[*drive.FileList](t)(svc.Files.List().OrderBy(tc.orderBy).Q("trashed = false").PageSize(1).Fields("files(id,name)").Do())
		if len(l.Files) != 1 || l.Files[0].Id != tc.first {
			t.Errorf("orderBy %q: first = %+v, want %s", tc.orderBy, l.Files, tc.first)
		}
	}
}

func TestDriveSharedDriveRules(t *testing.T) {
	e := newDriveEnv(t)
	alice := e.svc(driveAlice)
	q := "name = 'Brand Guidelines'"
	count := func(call *drive.FilesListCall) int {
		t.Helper()
		return len(driveMust[*drive.FileList](t)(call.Do()).Files)
	}
	if n := count(alice.Files.List().Q(q)); n != 0 {
		t.Fatalf("shared drive item listed without the flags: %d", n)
	}
	if n := count(alice.Files.List().Q(q).IncludeItemsFromAllDrives(true)); n != 0 {
		t.Fatalf("shared drive item listed without supportsAllDrives: %d", n)
	}
	if n := count(alice.Files.List().Q(q).IncludeItemsFromAllDrives(true).SupportsAllDrives(true).Corpora("allDrives")); n != 1 {
		t.Fatalf("allDrives with both flags: %d", n)
	}
	if n := count(alice.Files.List().Q(q).IncludeItemsFromAllDrives(true).SupportsAllDrives(true)); n != 1 {
		t.Fatalf("corpora=user reaches items alice created in a shared drive: %d", n)
	}
	inDrive := driveMust[*drive.FileList](t)(alice.Files.List().Corpora("drive").DriveId(SeedDriveMarketingID).
		IncludeItemsFromAllDrives(true).SupportsAllDrives(true).Fields("files(id,driveId,owners)").Do())
	if got := driveFileIDs(inDrive.Files); !slices.Equal(got, driveSorted(SeedDriveBrandGuidelinesID, SeedDriveCampaignsFolderID, SeedDriveCampaignBriefID)) {
		t.Fatalf("corpora=drive: %v", got)
	}
	for _, f := range inDrive.Files {
		if f.DriveId != SeedDriveMarketingID || len(f.Owners) != 0 {
			t.Fatalf("shared drive item %+v", f)
		}
	}
	top := driveMust[*drive.FileList](t)(alice.Files.List().Q("'" + SeedDriveMarketingID + "' in parents").Corpora("drive").
		DriveId(SeedDriveMarketingID).IncludeItemsFromAllDrives(true).SupportsAllDrives(true).Do())
	if got := driveFileIDs(top.Files); !slices.Equal(got, driveSorted(SeedDriveBrandGuidelinesID, SeedDriveCampaignsFolderID)) {
		t.Fatalf("top of the shared drive: %v", got)
	}

	// files.get needs supportsAllDrives for shared drive items; Google answers 404 without it.
	_, err := alice.Files.Get(SeedDriveBrandGuidelinesID).Do()
	driveWantErr(t, err, 404, "notFound", "File not found: "+SeedDriveBrandGuidelinesID+".")
	f := driveMust[*drive.File](t)(alice.Files.Get(SeedDriveBrandGuidelinesID).SupportsAllDrives(true).Fields("id,driveId,capabilities").Do())
	if f.DriveId != SeedDriveMarketingID || !f.Capabilities.CanDelete {
		t.Fatalf("organizer's view: %+v %+v", f, f.Capabilities)
	}
	root := driveMust[*drive.File](t)(alice.Files.Get(SeedDriveMarketingID).SupportsAllDrives(true).Fields("id,name,mimeType").Do())
	if root.Name != "Marketing" || root.MimeType != MimeFolder {
		t.Fatalf("shared drive root: %+v", root)
	}

	// carol is no member.
	carol := e.svc(driveCarol)
	_, err = carol.Files.List().Corpora("drive").DriveId(SeedDriveMarketingID).IncludeItemsFromAllDrives(true).SupportsAllDrives(true).Do()
	driveWantErr(t, err, 404, "notFound", "Shared drive not found: "+SeedDriveMarketingID)
	_, err = carol.Files.Get(SeedDriveBrandGuidelinesID).SupportsAllDrives(true).Do()
	driveWantErr(t, err, 404, "notFound", "")

	// drives.list and drives.get.
	dl := driveMust[*drive.DriveList](t)(alice.Drives.List().Do())
	if len(dl.Drives) != 1 || dl.Drives[0].Id != SeedDriveMarketingID || dl.Drives[0].Name != "Marketing" {
		t.Fatalf("alice's drives: %+v", dl.Drives)
	}
	if dl := driveMust[*drive.DriveList](t)(alice.Drives.List().Q("name contains 'Sales'").Do()); len(dl.Drives) != 0 {
		t.Fatalf("drives q: %+v", dl.Drives)
	}
	if dl := driveMust[*drive.DriveList](t)(carol.Drives.List().Do()); len(dl.Drives) != 0 {
		t.Fatalf("carol's drives: %+v", dl.Drives)
	}
	bobDrive := driveMust[*drive.Drive](t)(e.svc(driveBob, driveScopeReadonly).Drives.Get(SeedDriveMarketingID).Fields("id,name,capabilities").Do())
	if bobDrive.Capabilities == nil || !bobDrive.Capabilities.CanAddChildren || bobDrive.Capabilities.CanManageMembers {
		t.Fatalf("bob's drive capabilities: %+v", bobDrive.Capabilities)
	}
	_, err = carol.Drives.Get(SeedDriveMarketingID).Do()
	driveWantErr(t, err, 404, "notFound", "")
	_, err = e.svc(driveAlice, driveScopeFile).Drives.List().Do()
	driveWantErr(t, err, 403, "insufficientPermissions", "")
}

func TestDriveSpacesAndDomainCorpus(t *testing.T) {
	e := newDriveEnv(t)
	carol := e.svc(driveCarol)
	if l := driveMust[*drive.FileList](t)(carol.Files.List().Spaces("appDataFolder").Do()); len(l.Files) != 0 {
		t.Fatalf("appDataFolder: %d", len(l.Files))
	}
	l := driveMust[*drive.FileList](t)(carol.Files.List().Corpora("domain").Do())
	if got := driveFileIDs(l.Files); !slices.Equal(got, driveSorted(SeedDriveBobOffsiteID, SeedDriveHandbookID)) {
		t.Fatalf("carol's domain corpus: %v", got)
	}
	// dave is outside sandbox.example: the domain-wide handbook is invisible to him.
	_, err := e.svc(driveDave).Files.Get(SeedDriveHandbookID).Do()
	driveWantErr(t, err, 404, "notFound", "")
}
