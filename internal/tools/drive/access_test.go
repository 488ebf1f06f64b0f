package drive_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/tools/toolstest"
	"github.com/gwmcp/gwmcp/internal/transfer"
)

const missingID = "1sbxDoesNotExist00000000000000000"

// toolCase is one tool's calls for the shared tests: ok succeeds as alice; notFound names an
// item that does not exist; foreign names bob's (invisible to alice); bad are refused
// arguments, each with a fragment of the expected message.
type toolCase struct {
	tool     string
	ok       map[string]any
	notFound map[string]any
	foreign  map[string]any
	bad      []badArgs
	// readOnly tools succeed after two 429s (reads are retried).
	readOnly bool
}

type badArgs struct {
	args map[string]any
	want string
}

func toolCases(bobRoot string) []toolCase {
	return []toolCase{
		{tool: "search_drive_files", readOnly: true, ok: args("query", "budget"),
			notFound: args("query", "x", "drive_id", "0AsbxNoSuchDrive0000000Uk9PVA"),
			bad: []badArgs{
				{args("query", " "), "query is empty"},
				{args("query", "x", "page_size", 5000), "page_size"},
				{args("query", "x", "corpora", "drive"), "needs drive_id"},
				{args("query", "x", "corpora", "everything"), "corpora"},
				{args("query", "x", "drive_id", "x' or 'a"), "drive_id must be a Drive id"},
				{args("page_size", 3), "query"},
			}},
		{tool: "list_drive_items", readOnly: true, ok: args(),
			notFound: args("folder_id", missingID), foreign: args("folder_id", bobRoot),
			bad: []badArgs{
				{args("folder_id", "' in parents or '"), "folder_id must be a Drive id"},
				{args("page_size", 1001), "page_size"},
				{args("folder_id", sandbox.SeedDriveReleaseNotesID), "not a folder"},
			}},
		{tool: "list_shared_drives", readOnly: true, ok: args(),
			bad: []badArgs{{args("page_size", 500), "page_size"}}},
		{tool: "get_drive_file_content", readOnly: true, ok: args("file_id", sandbox.SeedDriveReleaseNotesID),
			notFound: args("file_id", missingID), foreign: args("file_id", sandbox.SeedDriveBobNotesID),
			bad: []badArgs{{args("file_id", ""), "file_id must be a Drive id"}, {args("file_id", "../../etc"), "file_id must be a Drive id"}, {args(), "file_id"}}},
		{tool: "create_drive_file", ok: args("file_name", "t.txt", "content", "hi"),
			notFound: args("file_name", "t.txt", "folder_id", missingID), foreign: args("file_name", "t.txt", "folder_id", bobRoot),
			bad: []badArgs{
				{args("file_name", " "), "file_name is required"},
				{args("file_name", "x", "mime_type", "not a mime"), "not a MIME type"},
				{args("file_name", "x", "content", "x", "mime_type", "application/vnd.google-apps.form"), "can only be converted"},
				{args("file_name", "x", "content", strings.Repeat("x", 2<<20+1)), "larger than 2 MiB"},
			}},
		{tool: "create_drive_folder", ok: args("folder_name", "New"),
			notFound: args("folder_name", "New", "parent_folder_id", missingID), foreign: args("folder_name", "New", "parent_folder_id", bobRoot),
			bad: []badArgs{{args("folder_name", ""), "folder_name is required"}}},
		{tool: "upload_to_drive", ok: args("path", "hello.txt"),
			notFound: args("path", "hello.txt", "folder_id", missingID), foreign: args("path", "hello.txt", "folder_id", bobRoot),
			bad: []badArgs{
				{args("path", "../outside.txt"), "inside gwmcp's transfer directory"},
				{args("path", "/etc/passwd"), "inside gwmcp's transfer directory"},
				{args("path", "missing.txt"), "no file"},
				{args("path", "sub"), "regular files"},
				{args("path", ""), "Give path"},
				{args("path", "hello.txt", "mime_type", "??"), "not a MIME type"},
			}},
		{tool: "download_drive_file", readOnly: true, ok: args("file_id", sandbox.SeedDriveReleaseNotesID),
			notFound: args("file_id", missingID), foreign: args("file_id", sandbox.SeedDriveBobNotesID),
			bad: []badArgs{
				{args("file_id", sandbox.SeedDriveContractPDFID, "export_format", "docx"), "cannot be exported"},
				{args("file_id", sandbox.SeedDriveLaunchPlanID, "export_format", "banana"), "not known"},
				{args("file_id", sandbox.SeedDriveProjectsFolderID), "is a folder"},
				{args("file_id", "a/b"), "file_id must be a Drive id"},
			}},
		{tool: "share_drive_files", ok: args("file_ids", []string{sandbox.SeedDriveReleaseNotesID}, "email_addresses", []string{carol}, "send_notification", false),
			notFound: args("file_ids", []string{missingID}, "email_addresses", []string{carol}),
			foreign:  args("file_ids", []string{sandbox.SeedDriveBobNotesID}, "email_addresses", []string{carol}),
			bad: []badArgs{
				{args("file_ids", []string{}, "email_addresses", []string{carol}), "at least one"},
				{args("file_ids", []string{sandbox.SeedDriveReleaseNotesID}, "email_addresses", []string{"not-an-address"}), "not an email address"},
				{args("file_ids", []string{sandbox.SeedDriveReleaseNotesID}, "email_addresses", []string{}), "email_addresses"},
				{args("file_ids", []string{sandbox.SeedDriveReleaseNotesID}, "email_addresses", []string{carol}, "role", "owner"), "role"},
			}},
		{tool: "make_drive_files_public", ok: args("file_ids", []string{sandbox.SeedDriveReleaseNotesID}),
			notFound: args("file_ids", []string{missingID}), foreign: args("file_ids", []string{sandbox.SeedDriveBobNotesID}),
			bad: []badArgs{{args("file_ids", []string{}), "at least one"}, {args("file_ids", []string{sandbox.SeedDriveReleaseNotesID}, "role", "writer"), "role"}}},
		{tool: "get_drive_file_permissions", readOnly: true, ok: args("file_id", sandbox.SeedDriveDesignReviewID),
			notFound: args("file_id", missingID), foreign: args("file_id", sandbox.SeedDriveBobNotesID),
			bad: []badArgs{{args("file_id", "'"), "file_id must be a Drive id"}}},
		{tool: "manage_drive_files", ok: args("operation", "rename", "file_ids", []string{sandbox.SeedDriveReleaseNotesID}, "new_name", "RN.txt"),
			notFound: args("operation", "trash", "file_ids", []string{missingID}),
			foreign:  args("operation", "delete", "file_ids", []string{sandbox.SeedDriveBobNotesID}, "permanent", true),
			bad: []badArgs{
				{args("operation", "explode", "file_ids", []string{sandbox.SeedDriveReleaseNotesID}), "operation"},
				{args("operation", "move", "file_ids", []string{sandbox.SeedDriveReleaseNotesID}), "target_folder_id"},
				{args("operation", "rename", "file_ids", []string{sandbox.SeedDriveReleaseNotesID, sandbox.SeedDriveBudgetID}, "new_name", "x"), "exactly one"},
				{args("operation", "rename", "file_ids", []string{sandbox.SeedDriveReleaseNotesID}), "new_name"},
				{args("operation", "move", "file_ids", []string{sandbox.SeedDriveReleaseNotesID}, "target_folder_id", "a b"), "target_folder_id must be"},
			}},
	}
}

// accessEnv is an environment with a local transfer directory holding hello.txt (and a
// sub-directory and a file outside it) and alice authorized with the given scopes.
func accessEnv(t *testing.T, scopes ...string) (*envT, *mcp.ClientSession) {
	t.Helper()
	base := t.TempDir()
	dir := filepath.Join(base, "transfer")
	tr, err := transfer.New(transfer.Options{LocalDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	for name, content := range map[string]string{"hello.txt": "hello drive", "sub/x.txt": "x"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o700)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(base, "outside.txt"), []byte("secret"), 0o600)
	env := newEnv(t, tr)
	env.Authorize(t, alice, scopes...)
	return env, env.Connect(t, identity.Principal{})
}

type envT = toolstest.Env

func TestEveryToolSuccessNotFoundForeign(t *testing.T) {
	probe := newEnv(t, nil)
	bobRoot := probe.Sandbox.DriveRootID(bob)
	for _, tc := range toolCases(bobRoot) {
		t.Run(tc.tool, func(t *testing.T) {
			_, cs := accessEnv(t, scopeFull)
			toolstest.OK(t, cs, tc.tool, tc.ok, nil)
			if tc.notFound != nil {
				msg := toolstest.Fails(t, cs, tc.tool, tc.notFound)
				if !strings.Contains(strings.ToLower(msg), "not found") {
					t.Errorf("not found: %s", msg)
				}
			}
			if tc.foreign != nil {
				// Google hides items the person cannot see: bob's items are "not found" for alice.
				msg := toolstest.Fails(t, cs, tc.tool, tc.foreign)
				if !strings.Contains(strings.ToLower(msg), "not found") {
					t.Errorf("bob's item as alice: %s", msg)
				}
				if strings.Contains(msg, "goroutine") || strings.Contains(msg, ".go:") {
					t.Errorf("internals leak: %s", msg)
				}
			}
			for _, b := range tc.bad {
				msg := toolstest.Fails(t, cs, tc.tool, b.args)
				if !strings.Contains(msg, b.want) {
					t.Errorf("bad %v: %q lacks %q", b.args, msg, b.want)
				}
			}
		})
	}
}

func TestEveryToolQuota(t *testing.T) {
	probe := newEnv(t, nil)
	for _, tc := range toolCases(probe.Sandbox.DriveRootID(bob)) {
		t.Run(tc.tool, func(t *testing.T) {
			env, cs := accessEnv(t, scopeFull)
			env.Sandbox.FailAPI("drive", 50, sandbox.APIFailure{Status: 429})
			msg := toolstest.Fails(t, cs, tc.tool, tc.ok)
			if !strings.Contains(msg, "429") && !strings.Contains(strings.ToLower(msg), "rate") {
				t.Errorf("quota failure: %s", msg)
			}
			if tc.readOnly {
				// Two 429s are absorbed by the client's retries.
				env, cs := accessEnv(t, scopeFull)
				env.Sandbox.FailAPI("drive", 2, sandbox.APIFailure{Status: 429})
				toolstest.OK(t, cs, tc.tool, tc.ok, nil)
				if env.Sandbox.APIFailuresServed() != 2 {
					t.Errorf("%d failures served", env.Sandbox.APIFailuresServed())
				}
			}
		})
	}
}

// TestPermissionDenied: bob may comment on alice's Design Review but not rename, share or
// trash it; Google's 403 reaches the model as a sentence.
func TestPermissionDenied(t *testing.T) {
	env := newEnv(t, nil)
	env.Authorize(t, bob, scopeFull)
	cs := env.Connect(t, identity.Principal{})
	var c struct{ Content string }
	toolstest.OK(t, cs, "get_drive_file_content", args("file_id", sandbox.SeedDriveDesignReviewID), &c)
	for _, call := range []struct {
		tool string
		args map[string]any
	}{
		{"manage_drive_files", args("operation", "rename", "file_ids", []string{sandbox.SeedDriveDesignReviewID}, "new_name", "Mine")},
		{"manage_drive_files", args("operation", "trash", "file_ids", []string{sandbox.SeedDriveDesignReviewID})},
		{"share_drive_files", args("file_ids", []string{sandbox.SeedDriveDesignReviewID}, "email_addresses", []string{carol})},
		{"make_drive_files_public", args("file_ids", []string{sandbox.SeedDriveDesignReviewID})},
	} {
		msg := toolstest.Fails(t, cs, call.tool, call.args)
		if !strings.Contains(msg, "403") {
			t.Errorf("%s %v: %s", call.tool, call.args, msg)
		}
	}
	if f, _ := env.Sandbox.DriveFile(sandbox.SeedDriveDesignReviewID); f.Name != "Design Review" || f.Trashed {
		t.Errorf("Design Review changed: %+v", f)
	}
}

func TestAccountSelection(t *testing.T) {
	probe := newEnv(t, nil)
	cases := toolCases(probe.Sandbox.DriveRootID(bob))
	p := identity.Principal{Subject: "sub-alice-login", Email: alice, Kind: identity.KindOAuth}

	t.Run("another linked account", func(t *testing.T) {
		env, _ := accessEnv(t, scopeFull)
		env.Authorize(t, bob, scopeFull)
		env.Link(t, p, alice, true)
		env.Link(t, p, bob, false)
		cs := env.Connect(t, p)
		var c struct {
			Content string
			File    struct{ Name string }
		}
		toolstest.OK(t, cs, "get_drive_file_content", args("file_id", sandbox.SeedDriveBobNotesID, "user_google_email", bob), &c)
		if !strings.Contains(c.Content, "Call legal") {
			t.Errorf("bob's notes as bob: %+v", c)
		}
		// Without user_google_email the primary account (alice) acts: bob's file is hidden.
		toolstest.Fails(t, cs, "get_drive_file_content", args("file_id", sandbox.SeedDriveBobNotesID))
		var list struct{ Files []struct{ Name string } }
		toolstest.OK(t, cs, "search_drive_files", args("query", "name contains 'Expenses'", "user_google_email", bob), &list)
		if len(list.Files) != 1 {
			t.Errorf("bob's search: %+v", list)
		}
	})

	t.Run("unlinked account", func(t *testing.T) {
		env, _ := accessEnv(t, scopeFull)
		env.Authorize(t, carol, scopeFull) // stored, but not linked to this principal
		env.Link(t, p, alice, true)
		cs := env.Connect(t, p)
		for _, tc := range cases {
			a := args("user_google_email", carol)
			for k, v := range tc.ok {
				a[k] = v
			}
			msg := toolstest.Fails(t, cs, tc.tool, a)
			if !strings.Contains(msg, "not one of the Google accounts you have connected") || !strings.Contains(msg, "start_google_auth") {
				t.Errorf("%s as carol: %s", tc.tool, msg)
			}
		}
	})

	t.Run("missing scope", func(t *testing.T) {
		_, cs := accessEnv(t, scopeReadonly)
		for _, tc := range cases {
			res := toolstest.Call(t, cs, tc.tool, tc.ok)
			if tc.readOnly {
				if res.IsError {
					t.Errorf("%s with drive.readonly failed: %s", tc.tool, toolstest.Text(res))
				}
				continue
			}
			if msg := toolstest.Text(res); !res.IsError || !strings.Contains(msg, "https://gwmcp.test/auth/link?email="+alice) {
				t.Errorf("%s without its scope: %s", tc.tool, msg)
			}
		}
	})
}
