// Package scopes is gwmcp's single source of truth for Google OAuth scopes: every scope of
// the services gwmcp covers (its URL, short name, service, consent-page description,
// whether it is read-only and which scopes it implies), the named groups of scopes
// (per service basic/full/readonly, the suites, base and complete), and the legacy names
// the Python server accepted.
//
// A Registry is built once by New over an immutable table and is safe for concurrent use.
// It answers the questions the rest of gwmcp asks about scopes:
//
//   - Resolve turns names (short names, URLs, group names, legacy names) into URLs;
//   - Satisfies and Missing decide whether granted scopes cover what a tool needs,
//     following implication transitively (https://mail.google.com/ covers gmail.readonly);
//   - ReadOnly narrows a set for --read-only, ForServices picks what a consent page
//     requests for the services a person chose;
//   - Lookup, Service, Describe, All, Groups and Services describe the table.
//
// Check is for tests of tool packages: it fails on a tool that declares no scopes or a
// scope this package does not know.
//
// The package is a leaf: it imports only the standard library.
package scopes

import (
	"fmt"
	"slices"
)

// Options configures a Registry.
type Options struct {
	// Legacy makes Resolve and Lookup also accept the scope and group names of the Python
	// server (drive_read, gmail_send, oauth_comprehensive, service names such as gmail
	// meaning that service's default scopes). It mirrors LEGACY_COMPAT_MODE.
	Legacy bool
}

// Scope is one Google OAuth scope.
type Scope struct {
	// Name is the short name: the URL without https://www.googleapis.com/auth/
	// ("drive.readonly"), the bare scope itself for openid, email and profile, and
	// "mail.google.com" for Gmail's full-access scope https://mail.google.com/.
	Name string
	// URL is the scope as sent to Google.
	URL string
	// Service is the ID of the service the scope belongs to ("drive", "identity", ...).
	Service string
	// Description says, for a consent page, what the person allows.
	Description string
	// ReadOnly is true when the scope allows no change to anything.
	ReadOnly bool
	// Implies lists the URLs of every scope this one implies, transitively, in table
	// order. A grant of this scope satisfies a requirement for any of them.
	Implies []string
	// ReadOnlyVariant is the URL of the read-only scope that replaces this one under
	// --read-only; empty when the scope is read-only itself or has no such counterpart.
	ReadOnlyVariant string
	// SameAs is the URL of the scope Google treats as the same grant ("email" and
	// https://www.googleapis.com/auth/userinfo.email); empty for most scopes.
	SameAs string
}

// Group is a named set of scopes.
type Group struct {
	Name        string
	Description string
	// Service is the service ID of a per-service group (drive_basic), empty otherwise.
	Service string
	// Scopes are URLs in a fixed order.
	Scopes []string
}

// ServiceInfo describes a service for a consent page or `--services`.
type ServiceInfo struct {
	ID          string // "drive"
	Name        string // display name, "Google Drive"
	Description string // what its tools do
	// Always is true for sign-in: it is requested whatever the person picks.
	Always bool
	// Default is the name of the group ForServices requests for this service.
	Default string
}

// Registry answers questions about scopes. Build it with New; it is immutable and safe
// for concurrent use.
type Registry struct {
	legacy   bool
	scopes   []Scope
	index    map[string]int // short name or URL -> position in scopes
	implied  [][]uint64     // per position: bit set of the positions it implies
	names    map[string][]string
	order    []string          // names Resolve accepts, in a fixed order (for suggestions)
	hints    map[string]string // legacy name -> replacement, filled when legacy mode is off
	groups   []Group
	services []ServiceInfo
}

// New builds a Registry from gwmcp's scope table.
func New(opts Options) *Registry {
	r := &Registry{
		legacy: opts.Legacy,
		index:  make(map[string]int),
		names:  make(map[string][]string),
		hints:  make(map[string]string),
	}
	specs := scopeTable()
	for i, s := range specs {
		r.scopes = append(r.scopes, Scope{
			Name: s.name, URL: s.fullURL(), Service: s.service, Description: s.desc, ReadOnly: s.readOnly,
		})
		r.index[s.name] = i
		r.index[s.fullURL()] = i
	}
	url := func(name string) string {
		if i, ok := r.index[name]; ok {
			return r.scopes[i].URL
		}
		return name // unknown reference: the table tests report it
	}
	urls := func(names []string) []string {
		out := make([]string, 0, len(names))
		for _, n := range names {
			out = appendNew(out, url(n))
		}
		return out
	}
	for i, s := range specs {
		if s.narrow != "" {
			r.scopes[i].ReadOnlyVariant = url(s.narrow)
		}
		if s.sameAs != "" {
			r.scopes[i].SameAs = url(s.sameAs)
		}
	}
	r.buildImplied(specs)

	// Resolve's names, by precedence: scopes, then groups, then legacy names.
	for _, s := range r.scopes {
		r.addName(s.Name, []string{s.URL})
		r.addName(s.URL, []string{s.URL})
	}
	r.buildGroups(urls)
	for _, g := range r.groups {
		r.addName(g.Name, g.Scopes)
	}
	for _, l := range legacyTable() {
		if _, taken := r.names[l.name]; taken {
			continue
		}
		if r.legacy {
			r.addName(l.name, urls(l.targets))
		} else {
			r.hints[l.name] = l.replacement()
		}
	}
	return r
}

func (r *Registry) addName(name string, urls []string) {
	if _, taken := r.names[name]; taken {
		return
	}
	r.names[name] = urls
	r.order = append(r.order, name)
}

// buildImplied computes, for every scope, the set of scopes it implies transitively.
func (r *Registry) buildImplied(specs []spec) {
	words := (len(r.scopes) + 63) / 64
	r.implied = make([][]uint64, len(r.scopes))
	for i := range specs {
		set := make([]uint64, words)
		stack := slices.Clone(specs[i].implies)
		for len(stack) > 0 {
			name := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			j, ok := r.index[name]
			if !ok || j == i || set[j/64]&(1<<(j%64)) != 0 {
				continue
			}
			set[j/64] |= 1 << (j % 64)
			stack = append(stack, specs[j].implies...)
		}
		r.implied[i] = set
		for j := range r.scopes {
			if set[j/64]&(1<<(j%64)) != 0 {
				r.scopes[i].Implies = append(r.scopes[i].Implies, r.scopes[j].URL)
			}
		}
	}
}

// buildGroups lays out base, the per-service groups, the suites and complete.
func (r *Registry) buildGroups(urls func([]string) []string) {
	var complete []string
	for _, s := range serviceTable() {
		info := ServiceInfo{ID: s.id, Name: s.name, Description: s.desc, Always: s.always, Default: s.id + suffixBasic}
		if s.id == svcIdentity {
			info.Default = groupBase
			r.groups = append(r.groups, Group{Name: groupBase, Service: s.id, Scopes: urls(s.basic),
				Description: "Sign-in: your Google identity, email address and basic profile"})
			complete = appendNew(complete, urls(s.basic)...)
			r.services = append(r.services, info)
			continue
		}
		for _, g := range []struct {
			suffix, what string
			members      []string
		}{
			{suffixBasic, "Default access to %s", s.basic},
			{suffixFull, "Full access to %s", s.full},
			{suffixReadOnly, "Read-only access to %s", s.readOnly},
		} {
			r.groups = append(r.groups, Group{Name: s.id + g.suffix, Service: s.id, Scopes: urls(g.members),
				Description: fmt.Sprintf(g.what, s.name)})
			complete = appendNew(complete, urls(g.members)...)
		}
		r.services = append(r.services, info)
	}
	for _, g := range suiteTable() {
		r.groups = append(r.groups, Group{Name: g.name, Description: g.desc, Scopes: urls(g.members)})
	}
	r.groups = append(r.groups, Group{Name: groupComplete, Scopes: complete,
		Description: "Every service gwmcp covers, with full access"})
}

// appendNew appends each of vs to list unless it is already there.
func appendNew(list []string, vs ...string) []string {
	for _, v := range vs {
		if !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}

// Lookup finds a scope by short name or URL, and in legacy mode also by a legacy name
// that stands for exactly one scope.
func (r *Registry) Lookup(nameOrURL string) (Scope, bool) {
	i, ok := r.index[nameOrURL]
	if !ok && r.legacy {
		if urls, found := r.names[nameOrURL]; found && len(urls) == 1 {
			i, ok = r.index[urls[0]]
		}
	}
	if !ok {
		return Scope{}, false
	}
	return cloneScope(r.scopes[i]), true
}

// All returns every known scope, in table order (grouped by service).
func (r *Registry) All() []Scope {
	out := make([]Scope, len(r.scopes))
	for i, s := range r.scopes {
		out[i] = cloneScope(s)
	}
	return out
}

// Groups returns gwmcp's named groups: base, then each service's _basic, _full and
// _readonly, then the suites, then complete. Legacy group names are not listed.
func (r *Registry) Groups() []Group {
	out := make([]Group, len(r.groups))
	for i, g := range r.groups {
		g.Scopes = slices.Clone(g.Scopes)
		out[i] = g
	}
	return out
}

// Services returns the services in consent-page order, sign-in first.
func (r *Registry) Services() []ServiceInfo {
	return slices.Clone(r.services)
}

// Service returns the service ID of a scope given by URL or short name, or "" when the
// scope is unknown.
func (r *Registry) Service(url string) string {
	if i, ok := r.index[url]; ok {
		return r.scopes[i].Service
	}
	return ""
}

// Describe returns a scope's consent-page description, or "" when the scope is unknown.
func (r *Registry) Describe(url string) string {
	if i, ok := r.index[url]; ok {
		return r.scopes[i].Description
	}
	return ""
}

func cloneScope(s Scope) Scope {
	s.Implies = slices.Clone(s.Implies)
	return s
}
