package credentials

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportsPointDown: credentials and pyimport use only the standard library, seal,
// secret and (pyimport) credentials.
func TestImportsPointDown(t *testing.T) {
	allowed := map[string]bool{
		"github.com/gwmcp/gwmcp/internal/seal":        true,
		"github.com/gwmcp/gwmcp/internal/secret":      true,
		"github.com/gwmcp/gwmcp/internal/credentials": true,
	}
	files, _ := filepath.Glob("*.go")
	more, _ := filepath.Glob("pyimport/*.go")
	for _, f := range append(files, more...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.Contains(strings.SplitN(p, "/", 2)[0], ".") && !allowed[p] {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}
