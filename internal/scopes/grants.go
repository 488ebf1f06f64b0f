package scopes

import (
	"errors"
	"fmt"
	"strings"
)

// Satisfies reports whether the granted scopes cover the required one: some granted
// scope equals it, is the same grant under another spelling (email and userinfo.email),
// or implies it, directly or transitively. Scopes may be given as URLs or short names;
// an unknown scope satisfies only itself.
func (r *Registry) Satisfies(granted []string, required string) bool {
	req, known := r.canonical(required)
	for _, g := range granted {
		if g == required {
			return true
		}
		if !known {
			continue
		}
		if gi, ok := r.canonical(g); ok && (gi == req || r.implied[gi][req/64]&(1<<(req%64)) != 0) {
			return true
		}
	}
	return false
}

// canonical returns the table position of a scope, following SameAs.
func (r *Registry) canonical(nameOrURL string) (int, bool) {
	i, ok := r.index[nameOrURL]
	if !ok {
		return 0, false
	}
	if same := r.scopes[i].SameAs; same != "" {
		return r.index[same], true
	}
	return i, true
}

// Missing returns the required scopes the granted ones do not satisfy, in the order
// required lists them, without duplicates. It returns nil when nothing is missing.
func (r *Registry) Missing(granted, required []string) []string {
	var out []string
	for _, req := range required {
		if !r.Satisfies(granted, req) {
			out = appendNew(out, req)
		}
	}
	return out
}

// ReadOnly narrows a set of scopes for --read-only: a read-only scope stays, a writable
// one is replaced by its read-only counterpart (drive -> drive.readonly), and one without
// a counterpart (gmail.send, drive.file) or an unknown one is dropped, since narrowing
// must never widen access. The result holds URLs without duplicates, in input order.
func (r *Registry) ReadOnly(urls []string) []string {
	var out []string
	for _, u := range urls {
		i, ok := r.index[u]
		if !ok {
			continue
		}
		switch s := r.scopes[i]; {
		case s.ReadOnly:
			out = appendNew(out, s.URL)
		case s.ReadOnlyVariant != "":
			out = appendNew(out, s.ReadOnlyVariant)
		}
	}
	return out
}

// ForServices returns the scopes to request when a person picks services (by ID, as
// listed by Services) on a consent page or with --services: the sign-in scopes, then
// each picked service's default group, without duplicates. An unknown service ID is an
// error naming it and the known ones.
func (r *Registry) ForServices(services []string) ([]string, error) {
	var (
		groups []string
		errs   []error
	)
	for _, s := range r.services {
		if s.Always {
			groups = append(groups, s.Default)
		}
	}
	for _, id := range services {
		i := r.serviceIndex(id)
		if i < 0 {
			errs = append(errs, fmt.Errorf("unknown service %q (known: %s)", id, r.serviceIDs()))
			continue
		}
		groups = append(groups, r.services[i].Default)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return r.Resolve(groups...)
}

func (r *Registry) serviceIndex(id string) int {
	for i, s := range r.services {
		if s.ID == id {
			return i
		}
	}
	return -1
}

func (r *Registry) serviceIDs() string {
	ids := make([]string, len(r.services))
	for i, s := range r.services {
		ids[i] = s.ID
	}
	return strings.Join(ids, ", ")
}

// Check reports whether urls is a valid scope declaration for a tool: at least one scope,
// each given by its full URL (not a short, group or legacy name), known to this package,
// and listed once. Tool packages call it from their tests so that an undeclared or
// unknown scope fails the build.
func Check(urls []string) error {
	r := New(Options{})
	if len(urls) == 0 {
		return errors.New("no scopes declared")
	}
	var errs []error
	seen := make(map[string]bool, len(urls))
	for _, u := range urls {
		switch i, known := r.index[u]; {
		case seen[u]:
			errs = append(errs, fmt.Errorf("scope %q declared twice", u))
		case known && r.scopes[i].URL != u:
			errs = append(errs, fmt.Errorf("scope %q must be declared by its URL %q", u, r.scopes[i].URL))
		case !known && r.names[u] != nil:
			errs = append(errs, fmt.Errorf("%q is a group name; declare the scope URLs it stands for", u))
		case !known:
			err := r.unknown(u)
			if target := r.names[err.Suggestion]; len(target) == 1 {
				err.Suggestion = target[0] // tools declare URLs, so suggest the URL
			}
			if err.Legacy {
				errs = append(errs, fmt.Errorf("scope %q is a legacy name; use %q", u, err.Suggestion))
				break
			}
			errs = append(errs, err)
		}
		seen[u] = true
	}
	return errors.Join(errs...)
}
