package authserver

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImports keeps the dependency arrows pointing down (DESIGN.md section 4).
func TestImports(t *testing.T) {
	forbidden := []string{"internal/tools", "internal/app", "internal/credentials", "internal/workspace",
		"internal/mcpserver", "internal/identity"}
	var files []string
	for _, dir := range []string{".", "cimd"} {
		m, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		files = append(files, m...)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			for _, bad := range forbidden {
				if strings.Contains(imp.Path.Value, "/"+bad) {
					t.Errorf("%s imports %s", f, imp.Path.Value)
				}
			}
		}
		if n := strings.Count(string(src), "\n"); n > 800 {
			t.Errorf("%s has %d lines; split it by feature", f, n)
		}
	}
}
