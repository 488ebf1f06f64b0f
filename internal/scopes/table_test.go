package scopes

import (
	"go/parser"
	"go/token"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestScopeURLsWellFormedAndUnique(t *testing.T) {
	bare := map[string]bool{"openid": true, "email": true, "profile": true}
	seenURL := map[string]bool{}
	seenName := map[string]bool{}
	for _, s := range New(Options{}).All() {
		t.Run(s.Name, func(t *testing.T) {
			if seenURL[s.URL] || seenName[s.Name] {
				t.Fatalf("duplicate scope %q / %q", s.Name, s.URL)
			}
			seenURL[s.URL], seenName[s.Name] = true, true
			switch {
			case bare[s.URL]:
				if s.Name != s.URL {
					t.Errorf("bare scope %q has name %q", s.URL, s.Name)
				}
			case s.URL == "https://mail.google.com/":
			default:
				u, err := url.Parse(s.URL)
				if err != nil {
					t.Fatalf("parse %q: %v", s.URL, err)
				}
				if u.Scheme != "https" || u.Host != "www.googleapis.com" || u.Path != "/auth/"+s.Name ||
					u.RawQuery != "" || u.Fragment != "" {
					t.Errorf("URL %q is not https://www.googleapis.com/auth/%s", s.URL, s.Name)
				}
				if strings.ContainsAny(s.Name, " ,/_") || strings.ToLower(s.Name) != s.Name {
					t.Errorf("short name %q has characters scope names never have", s.Name)
				}
			}
			if s.Description == "" || s.Service == "" {
				t.Errorf("scope %q lacks a description or service", s.Name)
			}
		})
	}
}

func TestScopeReferencesExist(t *testing.T) {
	specs := scopeTable()
	byName := map[string]spec{}
	for _, s := range specs {
		byName[s.name] = s
	}
	services := map[string]bool{}
	for _, s := range serviceTable() {
		services[s.id] = true
	}
	for _, s := range specs {
		if !services[s.service] {
			t.Errorf("%s: unknown service %q", s.name, s.service)
		}
		for _, imp := range s.implies {
			target, ok := byName[imp]
			switch {
			case !ok:
				t.Errorf("%s implies unknown scope %q", s.name, imp)
			case target.service != s.service:
				t.Errorf("%s implies %s of another service", s.name, imp)
			case s.readOnly && !target.readOnly:
				t.Errorf("read-only %s implies writable %s", s.name, imp)
			}
		}
		if s.sameAs != "" {
			if target, ok := byName[s.sameAs]; !ok || target.sameAs != "" {
				t.Errorf("%s is the same as %q, which is unknown or itself an alias", s.name, s.sameAs)
			}
		}
	}
}

func TestReadOnlyVariants(t *testing.T) {
	r := New(Options{})
	for _, s := range r.All() {
		if s.ReadOnlyVariant == "" {
			continue
		}
		v, ok := r.Lookup(s.ReadOnlyVariant)
		switch {
		case s.ReadOnly:
			t.Errorf("read-only %s has a read-only variant", s.Name)
		case !ok || !v.ReadOnly:
			t.Errorf("%s narrows to %q, which is unknown or writable", s.Name, s.ReadOnlyVariant)
		case !slices.Contains(s.Implies, v.URL):
			t.Errorf("%s narrows to %s, which it does not imply: narrowing would widen access", s.Name, v.Name)
		}
	}
}

// TestNoImplicationCycles walks the implication graph of the raw table: New's closure
// would hide a cycle.
func TestNoImplicationCycles(t *testing.T) {
	graph := map[string][]string{}
	for _, s := range scopeTable() {
		graph[s.name] = s.implies
	}
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var visit func(n string, path []string)
	visit = func(n string, path []string) {
		switch state[n] {
		case onPath:
			t.Fatalf("implication cycle: %s -> %s", strings.Join(path, " -> "), n)
		case done:
			return
		}
		state[n] = onPath
		for _, m := range graph[n] {
			visit(m, append(path, n))
		}
		state[n] = done
	}
	for n := range graph {
		visit(n, nil)
	}
}

func TestImplicationIsTransitive(t *testing.T) {
	r := New(Options{})
	for _, s := range r.All() {
		for _, u := range s.Implies {
			implied, _ := r.Lookup(u)
			for _, v := range implied.Implies {
				if !slices.Contains(s.Implies, v) {
					t.Errorf("%s implies %s which implies %s, but %s's closure lacks it", s.Name, implied.Name, v, s.Name)
				}
			}
		}
		if slices.Contains(s.Implies, s.URL) {
			t.Errorf("%s lists itself as implied", s.Name)
		}
	}
}

func TestGroupsContainOnlyKnownScopes(t *testing.T) {
	r := New(Options{})
	names := map[string]bool{}
	for _, s := range r.All() {
		names[s.Name] = true
	}
	for _, g := range r.Groups() {
		t.Run(g.Name, func(t *testing.T) {
			if names[g.Name] {
				t.Errorf("group %q has the name of a scope", g.Name)
			}
			if len(g.Scopes) == 0 || g.Description == "" {
				t.Errorf("group %q is empty or undescribed", g.Name)
			}
			for _, u := range g.Scopes {
				if _, ok := r.Lookup(u); !ok {
					t.Errorf("group %q holds unknown scope %q", g.Name, u)
				}
			}
			if strings.HasSuffix(g.Name, suffixReadOnly) {
				if narrowed := r.ReadOnly(g.Scopes); !slices.Equal(narrowed, g.Scopes) {
					t.Errorf("read-only group %q holds writable scopes: %v", g.Name, g.Scopes)
				}
			}
		})
	}
	// The references in the raw tables, which New resolves silently.
	check := func(where string, members []string) {
		for _, m := range members {
			if !names[m] {
				t.Errorf("%s names unknown scope %q", where, m)
			}
		}
	}
	for _, s := range serviceTable() {
		check(s.id, slices.Concat(s.basic, s.full, s.readOnly))
	}
	for _, g := range suiteTable() {
		check(g.name, g.members)
	}
}

func TestGroupNames(t *testing.T) {
	r := New(Options{})
	seen := map[string]bool{}
	for _, g := range r.Groups() {
		if seen[g.Name] {
			t.Errorf("duplicate group %q", g.Name)
		}
		seen[g.Name] = true
	}
	for _, s := range r.Services() {
		if !seen[s.Default] {
			t.Errorf("service %s: default group %q does not exist", s.ID, s.Default)
		}
		if s.Always {
			continue
		}
		for _, suffix := range []string{suffixBasic, suffixFull, suffixReadOnly} {
			if !seen[s.ID+suffix] {
				t.Errorf("service %s has no group %s%s", s.ID, s.ID, suffix)
			}
		}
	}
	// The Python server's group names that gwmcp keeps.
	for _, name := range []string{"base", "drive_basic", "drive_full", "gmail_basic", "gmail_full",
		"calendar_basic", "calendar_full", "docs_basic", "sheets_basic", "chat_basic", "forms_basic",
		"slides_basic", "photos_basic", "photos_full", "tasks_basic", "tasks_full", "people_basic",
		"people_full", "office_suite", "communication_suite", "admin_suite", "complete"} {
		if !seen[name] {
			t.Errorf("group %q missing", name)
		}
	}
}

func TestLegacyNames(t *testing.T) {
	legacy := New(Options{Legacy: true})
	modern := New(Options{})
	seen := map[string]bool{}
	for _, l := range legacyTable() {
		t.Run(l.name, func(t *testing.T) {
			if seen[l.name] {
				t.Fatalf("duplicate legacy name")
			}
			seen[l.name] = true
			var want []string
			for _, target := range l.targets {
				s, ok := modern.Lookup(target)
				if !ok {
					t.Fatalf("target %q is unknown", target)
				}
				want = append(want, s.URL)
			}
			if _, err := modern.Resolve(l.replacement()); err != nil {
				t.Errorf("replacement %q does not resolve: %v", l.replacement(), err)
			}
			got, err := legacy.Resolve(l.name)
			if err != nil {
				t.Fatalf("legacy mode: %v", err)
			}
			if missing := legacy.Missing(got, want); missing != nil {
				t.Errorf("resolves to %v, which lacks %v", got, missing)
			}
			_, shadowed := modern.names[l.name]
			_, err = modern.Resolve(l.name)
			if shadowed != (err == nil) {
				t.Errorf("without legacy mode: shadowed by a gwmcp name = %v, error = %v", shadowed, err)
			}
		})
	}
}

func TestFilesStaySmall(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(b), "\n"); n > 800 {
			t.Errorf("%s has %d lines; split it by feature", f, n)
		}
	}
}

func TestLeafPackage(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		parsed, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports %s; scopes is a leaf and uses only the standard library", f, path)
			}
		}
	}
}
