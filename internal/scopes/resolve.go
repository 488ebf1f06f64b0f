package scopes

import (
	"errors"
	"fmt"
	"strings"
)

// UnknownError reports a name Resolve could not resolve. Several of them come joined
// with errors.Join; find one with errors.As.
type UnknownError struct {
	// Name is the name as given.
	Name string
	// Suggestion is a close known name, or empty.
	Suggestion string
	// Legacy is true when Name is a legacy (Python server) name and legacy mode is off;
	// Suggestion then holds the name to use instead.
	Legacy bool
}

func (e *UnknownError) Error() string {
	switch {
	case e.Legacy:
		return fmt.Sprintf("scope %q is a legacy name: use %q, or turn on legacy compatibility (LEGACY_COMPAT_MODE)",
			e.Name, e.Suggestion)
	case e.Suggestion != "":
		return fmt.Sprintf("unknown scope %q (did you mean %q?)", e.Name, e.Suggestion)
	default:
		return fmt.Sprintf("unknown scope %q", e.Name)
	}
}

// Resolve turns scope names into scope URLs. A name is a scope's short name
// (drive.readonly), its URL, a group name (drive_basic, office_suite, complete) or, in
// legacy mode, a name of the Python server (drive_read, gmail, oauth_comprehensive).
// Each argument may hold several names separated by spaces or commas, as in an OAuth
// scope parameter or a --scopes flag.
//
// The result has no duplicates and keeps the order in which URLs first appear. Any
// unknown name makes Resolve fail with every unknown name reported as an *UnknownError.
func (r *Registry) Resolve(names ...string) ([]string, error) {
	var (
		out  []string
		seen = make(map[string]struct{})
		errs []error
	)
	for _, arg := range names {
		for _, name := range strings.FieldsFunc(arg, isSeparator) {
			urls, ok := r.names[name]
			if !ok {
				errs = append(errs, r.unknown(name))
				continue
			}
			for _, u := range urls {
				if _, dup := seen[u]; !dup {
					seen[u] = struct{}{}
					out = append(out, u)
				}
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func isSeparator(c rune) bool {
	return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// unknown builds the error for a name Resolve does not know.
func (r *Registry) unknown(name string) *UnknownError {
	if modern, ok := r.hints[name]; ok {
		return &UnknownError{Name: name, Suggestion: modern, Legacy: true}
	}
	return &UnknownError{Name: name, Suggestion: r.suggest(name)}
}

// suggest returns the known name closest to name, or "" when none is close enough.
// Ties go to the earlier name in r.order: scopes before groups before legacy names.
func (r *Registry) suggest(name string) string {
	lower := strings.ToLower(name)
	limit := min(1+len(lower)/5, 4)
	best, bestDist := "", limit+1
	for _, candidate := range r.order {
		d := distance(lower, strings.ToLower(candidate), bestDist)
		if d < bestDist {
			best, bestDist = candidate, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b, or any value >= limit once it is
// clear the distance is at least limit.
func distance(a, b string, limit int) int {
	if diff := len(a) - len(b); diff >= limit || -diff >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= limit {
			return limit
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
