package drive_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/scopes"
	"github.com/gwmcp/gwmcp/internal/tools"
	"github.com/gwmcp/gwmcp/internal/tools/drive"
	"github.com/gwmcp/gwmcp/internal/tools/toolstest"
)

const (
	alice = "alice@sandbox.example"
	bob   = "bob@sandbox.example"
	carol = "carol@sandbox.example"

	scopeFull     = "https://www.googleapis.com/auth/drive"
	scopeReadonly = "https://www.googleapis.com/auth/drive.readonly"
	scopeFile     = "https://www.googleapis.com/auth/drive.file"
)

// newEnv builds the harness with the Drive tools registered (transfers may be nil).
func newEnv(t *testing.T, tr tools.Transfers) *toolstest.Env {
	t.Helper()
	env := toolstest.New(t)
	env.Deps.Transfers = tr
	drive.Register(env.Registry, env.Deps)
	return env
}

// asAlice connects as the local principal with alice's credential (full Drive scope) as the
// only account.
func asAlice(t *testing.T) (*toolstest.Env, *mcp.ClientSession) {
	t.Helper()
	env := newEnv(t, nil)
	env.Authorize(t, alice, scopeFull)
	return env, env.Connect(t, identity.Principal{})
}

func args(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func names(files []drive.FileInfo) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Name)
	}
	return out
}

func TestToolSet(t *testing.T) {
	env := newEnv(t, nil)
	want := map[string]tools.Tier{
		"search_drive_files": tools.Core, "list_drive_items": tools.Core, "get_drive_file_content": tools.Core,
		"create_drive_file": tools.Core, "upload_to_drive": tools.Core,
		"share_drive_files": tools.Extended, "manage_drive_files": tools.Extended, "download_drive_file": tools.Extended,
		"get_drive_file_permissions": tools.Extended, "list_shared_drives": tools.Extended, "create_drive_folder": tools.Extended,
		"make_drive_files_public": tools.Complete,
	}
	got := env.Registry.Names()
	if len(got) != len(want) {
		t.Errorf("tools %v, want %d", got, len(want))
	}
	reg := scopes.New(scopes.Options{})
	for _, tool := range env.Registry.Tools() {
		spec, _ := env.Registry.Spec(tool.Name)
		if tier, ok := want[tool.Name]; !ok || spec.Tier != tier {
			t.Errorf("%s: tier %v, want %v (known %v)", tool.Name, spec.Tier, tier, ok)
		}
		if spec.Service != "drive" {
			t.Errorf("%s: service %q", tool.Name, spec.Service)
		}
		if err := scopes.Check(spec.Scopes); err != nil {
			t.Errorf("%s: scopes: %v", tool.Name, err)
		}
		a := tool.Annotations
		if a == nil || a.OpenWorldHint == nil || !*a.OpenWorldHint || tool.Description == "" || tool.Title == "" {
			t.Errorf("%s: annotations, title or description missing", tool.Name)
			continue
		}
		// Reads declare read-only scopes; writes are not annotated read-only.
		ro := len(reg.ReadOnly(spec.Scopes)) == len(spec.Scopes) && slices.Equal(reg.ReadOnly(spec.Scopes), spec.Scopes)
		if a.ReadOnlyHint != ro {
			t.Errorf("%s: ReadOnlyHint %v but scopes %v", tool.Name, a.ReadOnlyHint, spec.Scopes)
		}
		if !a.ReadOnlyHint && a.DestructiveHint == nil {
			t.Errorf("%s: a write tool must say whether it is destructive", tool.Name)
		}
	}
	if a := toolByName(env, "manage_drive_files").Annotations; !*a.DestructiveHint {
		t.Error("manage_drive_files can delete: it must be annotated destructive")
	}
}

func toolByName(env *toolstest.Env, name string) *mcp.Tool {
	for _, t := range env.Registry.Tools() {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// TestSchemasStrict walks every installed tool's input and output schema: no union types
// (a "type" that is a list, anyOf/oneOf), every array has items, every object says its type.
func TestSchemasStrict(t *testing.T) {
	env := newEnv(t, nil)
	env.Authorize(t, alice, scopeFull)
	list, err := env.Connect(t, identity.Principal{}).ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Tools) != len(env.Registry.Names()) {
		t.Fatalf("%d tools installed, %d registered", len(list.Tools), len(env.Registry.Names()))
	}
	for _, tool := range list.Tools {
		for what, schema := range map[string]any{"input": tool.InputSchema, "output": tool.OutputSchema} {
			if schema == nil {
				t.Errorf("%s: no %s schema", tool.Name, what)
				continue
			}
			b, err := json.Marshal(schema)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			for _, p := range strictProblems(m, tool.Name+"."+what) {
				t.Error(p)
			}
		}
	}
}

func strictProblems(v any, path string) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		if typ, ok := x["type"]; ok {
			if _, isStr := typ.(string); !isStr {
				out = append(out, fmt.Sprintf("%s: type %v is a union", path, typ))
			}
			if typ == "array" {
				if _, ok := x["items"]; !ok {
					out = append(out, path+": array without items")
				}
			}
		} else if _, isProps := x["properties"]; isProps {
			out = append(out, path+": object schema without type")
		}
		for _, k := range []string{"anyOf", "oneOf"} {
			if _, ok := x[k]; ok {
				out = append(out, path+": "+k)
			}
		}
		if props, ok := x["properties"].(map[string]any); ok {
			for name, p := range props {
				pm, _ := p.(map[string]any)
				if _, ok := pm["type"]; !ok {
					out = append(out, path+"."+name+": property without a type (any)")
				}
				out = append(out, strictProblems(p, path+"."+name)...)
			}
		}
		if items, ok := x["items"]; ok {
			out = append(out, strictProblems(items, path+"[]")...)
		}
	}
	return out
}

func TestSearch(t *testing.T) {
	_, cs := asAlice(t)
	var res drive.FileList
	toolstest.OK(t, cs, "search_drive_files", args("query", "vendor contract"), &res)
	if !slices.Contains(names(res.Files), "Q3 Launch Plan") || !strings.HasPrefix(res.Query, "fullText contains 'vendor contract'") {
		t.Errorf("free text search: %v (query %q)", names(res.Files), res.Query)
	}
	toolstest.OK(t, cs, "search_drive_files", args("query", "mimeType = 'application/pdf'"), &res)
	if got := names(res.Files); len(got) != 1 || got[0] != "Vendor Contract.pdf" || res.Files[0].Size == 0 || res.Files[0].WebViewLink == "" {
		t.Errorf("structured search: %+v", res.Files)
	}
	// Quotes in free text are escaped: they cannot break out of the query.
	toolstest.OK(t, cs, "search_drive_files", args("query", `Bob's notes\' or '`), &res)
	if res.Count != 0 || res.Query != `fullText contains 'Bob\'s notes\\\' or \'' and trashed = false` {
		t.Errorf("quoted free text matched %v (query %q)", names(res.Files), res.Query)
	}
	// The trash is left out of free text searches.
	toolstest.OK(t, cs, "search_drive_files", args("query", "abandoned draft"), &res)
	if res.Count != 0 {
		t.Errorf("trashed file found: %v", names(res.Files))
	}
}

func TestSearchPagination(t *testing.T) {
	_, cs := asAlice(t)
	seen := map[string]bool{}
	token, pages := "", 0
	for {
		var res drive.FileList
		toolstest.OK(t, cs, "search_drive_files", args("query", "name contains 'Meeting notes' and mimeType != 'application/vnd.google-apps.folder'",
			"page_size", 10, "page_token", token), &res)
		pages++
		for _, f := range res.Files {
			if seen[f.ID] {
				t.Fatalf("%s seen twice", f.Name)
			}
			seen[f.ID] = true
		}
		if res.Count != len(res.Files) || res.Count > 10 {
			t.Fatalf("page of %d (count %d)", len(res.Files), res.Count)
		}
		if token = res.NextPageToken; token == "" {
			break
		}
	}
	if len(seen) != sandbox.SeedDriveMeetingNotesCount || pages != 3 {
		t.Errorf("%d notes in %d pages, want %d in 3", len(seen), pages, sandbox.SeedDriveMeetingNotesCount)
	}
	var def drive.FileList
	toolstest.OK(t, cs, "search_drive_files", args("query", "name contains 'Meeting notes'"), &def)
	if def.Count != 10 || def.NextPageToken == "" {
		t.Errorf("default page size gave %d items", def.Count)
	}
}

func TestSharedDrives(t *testing.T) {
	_, cs := asAlice(t)
	var res drive.FileList
	toolstest.OK(t, cs, "search_drive_files", args("query", "name = 'Brand Guidelines'"), &res)
	if res.Count != 1 || res.Files[0].DriveID != sandbox.SeedDriveMarketingID {
		t.Errorf("search without drive_id: %+v", res.Files)
	}
	toolstest.OK(t, cs, "search_drive_files", args("query", "name = 'Brand Guidelines'", "include_items_from_all_drives", false), &res)
	if res.Count != 0 {
		t.Errorf("shared drive items included when excluded: %v", names(res.Files))
	}
	toolstest.OK(t, cs, "search_drive_files", args("query", "mimeType = 'application/vnd.google-apps.document'",
		"drive_id", sandbox.SeedDriveMarketingID), &res)
	if got := names(res.Files); len(got) != 2 || !slices.Contains(got, "Campaign Brief") || !slices.Contains(got, "Brand Guidelines") {
		t.Errorf("search in Marketing: %v", got)
	}
	toolstest.OK(t, cs, "search_drive_files", args("query", "name contains 'Brief'", "corpora", "allDrives"), &res)
	if res.Count != 1 {
		t.Errorf("allDrives: %v", names(res.Files))
	}

	var list drive.FolderList
	toolstest.OK(t, cs, "list_drive_items", args("drive_id", sandbox.SeedDriveMarketingID), &list)
	if got := names(list.Files); !slices.Equal(got, []string{"Campaigns", "Brand Guidelines"}) || list.FolderID != sandbox.SeedDriveMarketingID ||
		list.FolderName != "Marketing" || !list.Files[0].IsFolder {
		t.Errorf("Marketing root: %+v", list)
	}
	toolstest.OK(t, cs, "list_drive_items", args("folder_id", sandbox.SeedDriveCampaignsFolderID, "drive_id", sandbox.SeedDriveMarketingID), &list)
	if got := names(list.Files); !slices.Equal(got, []string{"Campaign Brief"}) {
		t.Errorf("Campaigns folder: %v", got)
	}

	var content drive.FileContent
	toolstest.OK(t, cs, "get_drive_file_content", args("file_id", sandbox.SeedDriveCampaignBriefID), &content)
	if !strings.Contains(content.Content, "webinars and a blog series") || content.File.DriveID != sandbox.SeedDriveMarketingID {
		t.Errorf("Campaign Brief content: %+v", content)
	}

	var drives drive.SharedDriveList
	toolstest.OK(t, cs, "list_shared_drives", nil, &drives)
	if drives.Count != 1 || drives.Drives[0].ID != sandbox.SeedDriveMarketingID || drives.Drives[0].Name != "Marketing" {
		t.Errorf("shared drives: %+v", drives)
	}

	// carol is no member of Marketing.
	env := newEnv(t, nil)
	env.Authorize(t, carol, scopeReadonly)
	carolCS := env.Connect(t, identity.Principal{})
	toolstest.OK(t, carolCS, "list_shared_drives", args("page_size", 5), &drives)
	if drives.Count != 0 {
		t.Errorf("carol sees %+v", drives.Drives)
	}
	msg := toolstest.Fails(t, carolCS, "list_drive_items", args("drive_id", sandbox.SeedDriveMarketingID))
	if !strings.Contains(strings.ToLower(msg), "not found") {
		t.Errorf("carol listing Marketing: %s", msg)
	}
}

func TestListDriveItems(t *testing.T) {
	env, cs := asAlice(t)
	var list drive.FolderList
	toolstest.OK(t, cs, "list_drive_items", nil, &list)
	got := names(list.Files)
	for _, want := range []string{"Projects", "Meeting Notes", "Release Notes.txt", "Design Review"} {
		if !slices.Contains(got, want) {
			t.Errorf("root lacks %s: %v", want, got)
		}
	}
	if slices.Contains(got, "Old Draft") || slices.Contains(got, "Q3 Launch Plan") {
		t.Errorf("root lists trashed or nested items: %v", got)
	}
	if list.FolderID != "root" || !list.Files[0].IsFolder {
		t.Errorf("folders first, folder id root: %+v", list)
	}
	// 24 notes in pages of 10.
	seen, token := 0, ""
	for i := 0; ; i++ {
		list = drive.FolderList{}
		toolstest.OK(t, cs, "list_drive_items", args("folder_id", sandbox.SeedDriveMeetingFolderID, "page_size", 10, "page_token", token), &list)
		seen += list.Count
		if list.FolderName != "Meeting Notes" {
			t.Errorf("folder name %q", list.FolderName)
		}
		if token = list.NextPageToken; token == "" || i > 5 {
			break
		}
	}
	if seen != sandbox.SeedDriveMeetingNotesCount {
		t.Errorf("listed %d notes", seen)
	}
	_ = env
}

func TestGetContent(t *testing.T) {
	_, cs := asAlice(t)
	tests := []struct {
		id, exported string
		contains     []string
		empty        bool
		note         string
	}{
		{id: sandbox.SeedDriveLaunchPlanID, exported: "text/markdown", contains: []string{"# Q3 Launch Plan", "## Goals", "* Reach 1,000 active teams"}},
		{id: sandbox.SeedDriveBudgetID, exported: "text/csv", contains: []string{"Category,Q1,Q2,Q3,Q4,Total\n", "Marketing,12000"}, note: "first sheet"},
		{id: sandbox.SeedDriveLaunchDeckID, exported: "text/plain", contains: []string{"Why now", "Beta on July 1"}},
		{id: sandbox.SeedDriveReleaseNotesID, exported: "text/plain", contains: []string{"Release 1.4.0", "Export to Markdown"}},
		{id: sandbox.SeedDriveContractPDFID, empty: true, note: "binary file (application/pdf"},
		{id: sandbox.SeedDriveProjectsFolderID, empty: true, note: "list_drive_items"},
		{id: sandbox.SeedDriveBrandGuidelinesID, exported: "text/markdown", contains: []string{"blue logo"}},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			var c drive.FileContent
			toolstest.OK(t, cs, "get_drive_file_content", args("file_id", tc.id), &c)
			if c.ExportedAs != tc.exported || c.File.ID != tc.id || c.File.Name == "" {
				t.Errorf("exported as %q, file %+v", c.ExportedAs, c.File)
			}
			for _, s := range tc.contains {
				if !strings.Contains(c.Content, s) {
					t.Errorf("content lacks %q:\n%s", s, c.Content)
				}
			}
			if strings.Contains(c.Content, "\r") || strings.HasPrefix(c.Content, "\ufeff") {
				t.Errorf("content keeps CR or BOM: %q", c.Content)
			}
			if tc.empty && c.Content != "" {
				t.Errorf("content shown: %q", c.Content)
			}
			if !strings.Contains(c.Note, tc.note) {
				t.Errorf("note %q lacks %q", c.Note, tc.note)
			}
		})
	}
}
