package archtest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/gwmcp/gwmcp/"

// allowed lists, for every package under internal/, the gwmcp packages its non-test code may
// import. Arrows point down: leaves import nothing of ours (internal/secret, which only
// redacts, is the one shared leaf). A new package fails this test until it is placed here.
// A trailing "/..." allows a package's own subpackages.
var allowed = map[string][]string{
	"internal/secret":               {},
	"internal/scopes":               {},
	"internal/seal":                 {"internal/secret"},
	"internal/config":               {"internal/secret"},
	"internal/store":                {},
	"internal/store/memory":         {"internal/store"},
	"internal/store/embedded":       {"internal/store"},
	"internal/store/redis":          {"internal/store"},
	"internal/store/storetest":      {"internal/store"},
	"internal/credentials":          {"internal/seal", "internal/secret"},
	"internal/credentials/pyimport": {"internal/credentials", "internal/seal", "internal/secret"},
	"internal/httpguard":            {"internal/secret"},
	"internal/upstream":             {"internal/secret"},
	"internal/sandbox":              {"internal/secret", "internal/scopes"},
	"internal/workspace":            {"internal/credentials", "internal/secret", "internal/scopes"},
	"internal/authserver": {"internal/authserver/...", "internal/store", "internal/secret", "internal/scopes",
		"internal/upstream", "internal/httpguard"},
	"internal/authserver/cimd": {"internal/secret"},
	"internal/identity":        {"internal/store", "internal/credentials", "internal/secret", "internal/scopes", "internal/upstream"},
	"internal/tools":           {"internal/identity", "internal/workspace", "internal/store", "internal/scopes", "internal/secret"},
	// The harness tool packages test with: real packages only, never the composition root.
	"internal/tools/toolstest": {"internal/tools", "internal/identity", "internal/workspace", "internal/credentials",
		"internal/sandbox", "internal/scopes", "internal/seal", "internal/secret", "internal/store", "internal/store/memory", "internal/upstream", "internal/googleauth"},
	// Google tool packages: one per service.
	"internal/tools/drive":    googleTool,
	"internal/tools/gmail":    googleTool,
	"internal/tools/calendar": googleTool,
	"internal/tools/accounts": {"internal/tools", "internal/identity", "internal/credentials", "internal/scopes", "internal/secret"},
	"internal/transfer":       {"internal/identity", "internal/store", "internal/secret"},
	"internal/mcpserver":      {"internal/tools", "internal/config", "internal/secret"},
	"internal/devtoken":       {"internal/secret"},
	"internal/metrics":        {},
	"internal/googleauth":     {"internal/upstream", "internal/workspace", "internal/secret"},
	"internal/archtest":       {},
	"internal/benchmem":       {},
	// The composition root may import everything below it.
	"internal/app": {"internal/..."},
}

// googleTool is what a Google tool package may import.
var googleTool = []string{"internal/tools", "internal/identity", "internal/workspace", "internal/scopes", "internal/secret", "internal/store", "internal/transfer"}

// forbidden are pairs the design calls out by name; they stay refused even if someone widens
// the table above by mistake.
var forbidden = map[string][]string{
	"internal/authserver": {"internal/tools", "internal/app", "internal/mcpserver", "internal/workspace", "internal/credentials"},
	"internal/store":      {"internal/seal", "internal/credentials"},
}

func TestImportDirection(t *testing.T) {
	root := repoRoot(t)
	pkgs := imports(t, root)
	if len(pkgs) < 10 {
		t.Fatalf("found only %d packages under %s: the walk is broken", len(pkgs), root)
	}
	for _, pkg := range sortedKeys(pkgs) {
		if strings.HasPrefix(pkg, "cmd/") {
			continue // commands are the top: they may import anything
		}
		rules, ok := allowed[pkg]
		if !ok {
			t.Errorf("package %s is not in the import table of internal/archtest: add it with the packages it may import", pkg)
			continue
		}
		for _, imp := range pkgs[pkg] {
			if imp == pkg {
				continue
			}
			if !permitted(rules, imp) {
				t.Errorf("%s imports %s, which the import table does not allow", pkg, imp)
			}
			if slices.Contains(forbidden[pkg], imp) || slices.ContainsFunc(forbidden[pkg], func(f string) bool { return strings.HasPrefix(imp, f+"/") }) {
				t.Errorf("%s imports %s, which DESIGN.md forbids", pkg, imp)
			}
		}
	}
}

// TestTableCatchesViolations proves the checker itself rejects a crossing import.
func TestTableCatchesViolations(t *testing.T) {
	if permitted(allowed["internal/seal"], "internal/store") {
		t.Error("seal may not import store")
	}
	if permitted(allowed["internal/authserver"], "internal/tools") {
		t.Error("authserver may not import tools")
	}
	if !permitted(allowed["internal/app"], "internal/store/redis") {
		t.Error("app may import everything internal")
	}
	if !permitted(allowed["internal/authserver"], "internal/authserver/cimd") {
		t.Error("authserver may import its own subpackages")
	}
}

func permitted(rules []string, imp string) bool {
	for _, r := range rules {
		if base, ok := strings.CutSuffix(r, "/..."); ok {
			if imp == base || strings.HasPrefix(imp, base+"/") {
				return true
			}
			continue
		}
		if imp == r {
			return true
		}
	}
	return false
}

// imports maps each package directory (relative to the repo) to the gwmcp packages its
// non-test files import.
func imports(t *testing.T, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		if _, ok := out[rel]; !ok {
			out[rel] = nil
		}
		for _, spec := range f.Imports {
			p, _ := strconv.Unquote(spec.Path.Value)
			if dep, ok := strings.CutPrefix(p, module); ok && !slices.Contains(out[rel], dep) {
				out[rel] = append(out[rel], dep)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
