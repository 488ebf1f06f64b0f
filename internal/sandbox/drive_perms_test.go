package sandbox

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"google.golang.org/api/drive/v3"
)

func TestDrivePermissions(t *testing.T) {
	e := newDriveEnv(t)
	alice, bob, carol := e.svc(driveAlice), e.svc(driveBob), e.svc(driveCarol)

	// Share with bob: he can read but not write.
	_, err := bob.Files.Get(SeedDriveBudgetID).Do()
	driveWantErr(t, err, 404, "notFound", "")
	p := driveMust[*drive.Permission](t)(alice.Permissions.Create(SeedDriveBudgetID,
		&drive.Permission{Type: "user", Role: "reader", EmailAddress: "Bob@Sandbox.example"}).SendNotificationEmail(false).
		Fields("id,type,role,emailAddress,displayName").Do())
	if p.Role != "reader" || p.EmailAddress != driveBob || p.DisplayName != "Bob Nakamura" || p.Id == "" {
		t.Fatalf("permission = %+v", p)
	}
	if _, err := bob.Files.Get(SeedDriveBudgetID).Do(); err != nil {
		t.Fatalf("bob after sharing: %v", err)
	}
	_, err = bob.Files.Update(SeedDriveBudgetID, &drive.File{Name: "bob's"}).Do()
	driveWantErr(t, err, 403, "insufficientFilePermissions", "The user does not have sufficient permissions for this file.")
	l := driveMust[*drive.FileList](t)(bob.Files.List().Q("sharedWithMe and name = 'Budget 2026'").Fields("files(id,sharedWithMeTime,sharingUser)").Do())
	if len(l.Files) != 1 || l.Files[0].SharingUser == nil || l.Files[0].SharingUser.EmailAddress != driveAlice {
		t.Fatalf("bob's shared-with-me: %+v", l.Files)
	}
	// Sharing again with another role updates the same permission.
	p2 := driveMust[*drive.Permission](t)(alice.Permissions.Create(SeedDriveBudgetID,
		&drive.Permission{Type: "user", Role: "writer", EmailAddress: driveBob}).Do())
	if p2.Id != p.Id || p2.Role != "writer" {
		t.Fatalf("re-share = %+v", p2)
	}
	driveMust[*drive.Permission](t)(alice.Permissions.Update(SeedDriveBudgetID, p.Id, &drive.Permission{Role: "commenter"}).Do())

	// Make it public: carol can read by id, and it is anyone-with-link.
	_, err = carol.Files.Get(SeedDriveBudgetID).Do()
	driveWantErr(t, err, 404, "notFound", "")
	pub := driveMust[*drive.Permission](t)(alice.Permissions.Create(SeedDriveBudgetID, &drive.Permission{Type: "anyone", Role: "reader"}).
		Fields("id,type,role,allowFileDiscovery").Do())
	if pub.Id != "anyoneWithLink" || pub.AllowFileDiscovery {
		t.Fatalf("public permission = %+v", pub)
	}
	if _, err := carol.Files.Get(SeedDriveBudgetID).Do(); err != nil {
		t.Fatalf("carol after making it public: %v", err)
	}
	if l := driveMust[*drive.FileList](t)(carol.Files.List().Q("name = 'Budget 2026'").Do()); len(l.Files) != 0 {
		t.Fatal("a link-only file shows in carol's search before she opened it")
	}
	resp := driveMust[*http.Response](t)(carol.Files.Export(SeedDriveBudgetID, "text/csv").Download())
	resp.Body.Close()
	if l := driveMust[*drive.FileList](t)(carol.Files.List().Q("name = 'Budget 2026'").Do()); len(l.Files) != 1 {
		t.Fatal("an opened link-shared file is missing from carol's search")
	}
	vis := driveMust[*drive.FileList](t)(alice.Files.List().Q("visibility = 'anyoneWithLink'").Do())
	if !slices.Contains(driveFileIDs(vis.Files), SeedDriveBudgetID) {
		t.Fatalf("visibility: %v", driveFileIDs(vis.Files))
	}

	// permissions.list shows the owner, bob and anyone; inherited ones are marked.
	pl := driveMust[*drive.PermissionList](t)(alice.Permissions.List(SeedDriveBudgetID).Fields("permissions(id,type,role,emailAddress)").Do())
	var got []string
	for _, x := range pl.Permissions {
		got = append(got, x.Type+":"+x.Role+":"+x.EmailAddress)
	}
	if want := []string{"user:owner:" + driveAlice, "user:commenter:" + driveBob, "anyone:reader:"}; !slices.Equal(got, want) {
		t.Fatalf("permissions = %v, want %v", got, want)
	}
	inh := driveMust[*drive.PermissionList](t)(alice.Permissions.List(SeedDriveLaunchPlanID).Fields("permissions(id,role,emailAddress,permissionDetails)").Do())
	var bobInherited *drive.Permission
	for _, x := range inh.Permissions {
		if x.EmailAddress == driveBob {
			bobInherited = x
		}
	}
	if bobInherited == nil || bobInherited.Role != "writer" || len(bobInherited.PermissionDetails) != 1 ||
		!bobInherited.PermissionDetails[0].Inherited || bobInherited.PermissionDetails[0].InheritedFrom != SeedDriveQ3FolderID {
		t.Fatalf("inherited permission = %+v", bobInherited)
	}
	driveWantErr(t, alice.Permissions.Delete(SeedDriveLaunchPlanID, bobInherited.Id).Do(), 403, "cannotModifyInheritedPermission", "")
	one := driveMust[*drive.Permission](t)(alice.Permissions.Get(SeedDriveLaunchPlanID, bobInherited.Id).Do())
	if one.Role != "writer" {
		t.Fatalf("permissions.get = %+v", one)
	}
	_, err = alice.Permissions.Get(SeedDriveLaunchPlanID, "12345").Do()
	driveWantErr(t, err, 404, "notFound", "Permission not found: 12345.")

	// Unshare bob and the link: both lose access.
	if err := alice.Permissions.Delete(SeedDriveBudgetID, p.Id).Do(); err != nil {
		t.Fatal(err)
	}
	if err := alice.Permissions.Delete(SeedDriveBudgetID, "anyoneWithLink").Do(); err != nil {
		t.Fatal(err)
	}
	_, err = bob.Files.Get(SeedDriveBudgetID).Do()
	driveWantErr(t, err, 404, "notFound", "")
	_, err = carol.Files.Get(SeedDriveBudgetID).Do()
	driveWantErr(t, err, 404, "notFound", "")

	// A reader of a folder cannot add to it.
	driveMust[*drive.Permission](t)(alice.Permissions.Create(SeedDriveProjectsFolderID, &drive.Permission{Type: "user", Role: "reader", EmailAddress: driveCarol}).Do())
	_, err = carol.Files.Create(&drive.File{Name: "x", Parents: []string{SeedDriveProjectsFolderID}}).Do()
	driveWantErr(t, err, 403, "insufficientFilePermissions", "")
	if _, err := carol.Files.Get(SeedDriveContractPDFID).Do(); err != nil {
		t.Fatalf("carol reads inside the shared folder: %v", err)
	}
	// A person may remove their own access.
	if err := carol.Permissions.Delete(SeedDriveProjectsFolderID, drivePermissionID("user:"+driveCarol)).Do(); err != nil {
		t.Fatalf("carol leaves: %v", err)
	}
}

func TestDrivePermissionErrors(t *testing.T) {
	e := newDriveEnv(t)
	alice := e.svc(driveAlice)
	tests := []struct {
		name     string
		as       string
		file     string
		perm     drive.Permission
		notify   *bool
		transfer bool
		code     int
		reason   string
		message  string
	}{
		{"no type", driveAlice, SeedDriveBudgetID, drive.Permission{Role: "reader"}, nil, false, 400, "required", ""},
		{"no role", driveAlice, SeedDriveBudgetID, drive.Permission{Type: "user", EmailAddress: driveBob}, nil, false, 400, "required", ""},
		{"bad type", driveAlice, SeedDriveBudgetID, drive.Permission{Type: "robot", Role: "reader"}, nil, false, 400, "invalid", ""},
		{"bad role", driveAlice, SeedDriveBudgetID, drive.Permission{Type: "user", Role: "admin", EmailAddress: driveBob}, nil, false, 400, "invalid", ""},
		{"user without email", driveAlice, SeedDriveBudgetID, drive.Permission{Type: "user", Role: "reader"}, nil, false, 400, "invalidSharingRequest", ""},
		{"domain without domain", driveAlice, SeedDriveBudgetID, drive.Permission{Type: "domain", Role: "reader"}, nil, false, 400, "invalidSharingRequest", ""},
		{"organizer in My Drive", driveAlice, SeedDriveBudgetID, drive.Permission{Type: "user", Role: "organizer", EmailAddress: driveBob}, nil, false, 400, "invalidSharingRequest", ""},
		{"unknown person without notification", driveAlice, SeedDriveBudgetID, drive.Permission{Type: "user", Role: "reader", EmailAddress: "stranger@elsewhere.example"},
			new(false), false, 400, "invalidSharingRequest", ""},
		{"commenter shares", driveBob, SeedDriveDesignReviewID, drive.Permission{Type: "anyone", Role: "reader"}, nil, false, 403, "insufficientFilePermissions", ""},
		{"stranger shares", driveCarol, SeedDriveBudgetID, drive.Permission{Type: "anyone", Role: "reader"}, nil, false, 404, "notFound", ""},
		{"owner without transferOwnership", driveAlice, SeedDriveBudgetID, drive.Permission{Type: "user", Role: "owner", EmailAddress: driveBob}, nil, false, 403, "forbidden",
			"The transferOwnership parameter must be enabled when the permission role is 'owner'."},
		{"owner across domains", driveAlice, SeedDriveBudgetID, drive.Permission{Type: "user", Role: "owner", EmailAddress: driveDave}, nil, true, 403, "ownershipChangeAcrossDomainNotPermitted", ""},
		{"anyone as owner", driveAlice, SeedDriveBudgetID, drive.Permission{Type: "anyone", Role: "owner"}, nil, true, 400, "invalidSharingRequest", ""},
		{"non-owner transfers", driveBob, SeedDriveLaunchPlanID, drive.Permission{Type: "user", Role: "owner", EmailAddress: driveBob}, nil, true, 403, "insufficientFilePermissions", ""},
		{"owner in a shared drive", driveAlice, SeedDriveBrandGuidelinesID, drive.Permission{Type: "user", Role: "owner", EmailAddress: driveBob}, nil, true, 400, "invalidSharingRequest", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			call := e.svc(tc.as).Permissions.Create(tc.file, &tc.perm).SupportsAllDrives(true)
			if tc.notify != nil {
				call = call.SendNotificationEmail(*tc.notify)
			}
			if tc.transfer {
				call = call.TransferOwnership(true)
			}
			_, err := call.Do()
			driveWantErr(t, err, tc.code, tc.reason, tc.message)
		})
	}
	// Nothing above changed the file's permissions.
	info, _ := e.sb.DriveFile(SeedDriveBudgetID)
	if len(info.Permissions) != 1 || info.Owner != driveAlice {
		t.Fatalf("permissions after refused requests: %+v", info.Permissions)
	}
	ownerID := drivePermissionID("user:" + driveAlice)
	_, err := alice.Permissions.Update(SeedDriveBudgetID, ownerID, &drive.Permission{Role: "reader"}).Do()
	driveWantErr(t, err, 403, "cannotRemoveOwner", "")
	driveWantErr(t, alice.Permissions.Delete(SeedDriveBudgetID, ownerID).Do(), 403, "cannotRemoveOwner", "")
	driveWantErr(t, alice.Permissions.Delete(SeedDriveBudgetID, "nope").Do(), 404, "notFound", "")
	status, _, _ := e.raw("POST", "/drive/v3/files/"+SeedDriveBudgetID+"/permissions", e.token(driveAlice, driveTestClient), strings.NewReader("{bad"))
	if status != 400 {
		t.Fatalf("broken JSON: %d", status)
	}
}

func TestDriveTransferOwnership(t *testing.T) {
	e := newDriveEnv(t)
	alice, bob := e.svc(driveAlice), e.svc(driveBob)
	driveMust[*drive.Permission](t)(alice.Permissions.Create(SeedDriveBudgetID, &drive.Permission{Type: "user", Role: "owner", EmailAddress: driveBob}).
		TransferOwnership(true).Do())
	f := driveMust[*drive.File](t)(bob.Files.Get(SeedDriveBudgetID).Fields("owners,ownedByMe,capabilities(canDelete)").Do())
	if !f.OwnedByMe || f.Owners[0].EmailAddress != driveBob || !f.Capabilities.CanDelete {
		t.Fatalf("after transfer: %+v", f)
	}
	a := driveMust[*drive.File](t)(alice.Files.Get(SeedDriveBudgetID).Fields("ownedByMe,capabilities(canEdit,canDelete)").Do())
	if a.OwnedByMe || !a.Capabilities.CanEdit || a.Capabilities.CanDelete {
		t.Fatalf("former owner: %+v %+v", a, a.Capabilities)
	}
	// Upgrading an existing permission to owner follows the same rule.
	p := driveMust[*drive.Permission](t)(bob.Permissions.Update(SeedDriveBudgetID, drivePermissionID("user:"+driveAlice), &drive.Permission{Role: "owner"}).
		TransferOwnership(true).Do())
	if p.Role != "owner" {
		t.Fatalf("update to owner: %+v", p)
	}
	if info, _ := e.sb.DriveFile(SeedDriveBudgetID); info.Owner != driveAlice {
		t.Fatalf("owner = %s", info.Owner)
	}
}

func TestDriveDomainSharing(t *testing.T) {
	e := newDriveEnv(t)
	alice := e.svc(driveAlice)
	driveMust[*drive.Permission](t)(alice.Permissions.Create(SeedDriveBudgetID,
		&drive.Permission{Type: "domain", Role: "reader", Domain: "sandbox.example", AllowFileDiscovery: true}).Do())
	l := driveMust[*drive.FileList](t)(e.svc(driveCarol).Files.List().Corpora("domain").Q("name contains 'Budget'").Do())
	if len(l.Files) != 1 {
		t.Fatalf("domain-discoverable file in carol's domain search: %d", len(l.Files))
	}
	_, err := e.svc(driveDave).Files.Get(SeedDriveBudgetID).Do()
	driveWantErr(t, err, 404, "notFound", "")
}
