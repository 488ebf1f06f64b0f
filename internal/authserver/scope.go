package authserver

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// offlineAccess is accepted in a scope parameter and ignored: refresh tokens follow the
// client's registered grant types.
const offlineAccess = "offline_access"

// maxScopeValues bounds the number of values in a scope parameter.
const maxScopeValues = 100

var errInvalidScope = errors.New("invalid scope")

// resolveScope turns a scope parameter into upstream scope URLs. Each value may be a
// Google scope URL, a short name (drive.readonly), a group name (drive_basic) or a
// gwmcp service ID (gmail: that service's default scopes); a scope name wins over a
// service ID of the same spelling ("drive" is the drive scope). The sign-in scopes are
// always included. An empty parameter yields the defaults.
func (s *Server) resolveScope(raw string) ([]string, error) {
	values := strings.Fields(raw)
	if len(values) > maxScopeValues {
		return nil, fmt.Errorf("%w: too many values", errInvalidScope)
	}
	base, err := s.scopes.ForServices(nil)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(base)
	add := func(urls []string) {
		for _, u := range urls {
			if !slices.Contains(out, u) {
				out = append(out, u)
			}
		}
	}
	var unknown []string
	for _, v := range values {
		if v == offlineAccess {
			continue
		}
		if urls, err := s.scopes.Resolve(v); err == nil {
			add(urls)
			continue
		}
		if s.isService(v) {
			urls, err := s.scopes.ForServices([]string{v})
			if err != nil {
				return nil, err
			}
			add(urls)
			continue
		}
		if len(unknown) < 5 {
			unknown = append(unknown, v)
		}
	}
	if len(unknown) > 0 {
		for i, u := range unknown {
			if len(u) > 80 {
				unknown[i] = u[:80] + "..."
			}
		}
		return nil, fmt.Errorf("%w: unknown scope %s", errInvalidScope, strings.Join(unknown, ", "))
	}
	return out, nil
}

func (s *Server) isService(id string) bool {
	for _, svc := range s.scopes.Services() {
		if svc.ID == id {
			return true
		}
	}
	return false
}

// narrowTo keeps the scopes of want that granted covers (directly or by implication).
func (s *Server) narrowTo(want, granted []string) []string {
	var out []string
	for _, w := range want {
		if s.scopes.Satisfies(granted, w) {
			out = append(out, w)
		}
	}
	return out
}
