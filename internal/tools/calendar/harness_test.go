package calendar

import (
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/tools/toolstest"
)

const (
	alice     = "alice@sandbox.example"
	bob       = "bob@sandbox.example"
	carol     = "carol@sandbox.example"
	berlinCal = "c_teamberlin@group.calendar.google.com"
)

// allCalendarScopes is what a person who granted gwmcp the whole Calendar group has.
var allCalendarScopes = []string{scopeCalendar}

// setup starts a sandbox with the Calendar tools, an authorized account and a local
// session acting as it.
func setup(t *testing.T, email string, scopeURLs ...string) (*toolstest.Env, *mcp.ClientSession) {
	t.Helper()
	env := toolstest.New(t)
	Register(env.Registry, env.Deps)
	if len(scopeURLs) == 0 {
		scopeURLs = allCalendarScopes
	}
	env.Authorize(t, email, scopeURLs...)
	return env, env.Connect(t, identity.Principal{})
}

// args builds tool arguments.
type args = map[string]any

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// nextTransition returns the first UTC offset change of loc after from (DST changes are at
// most about seven months apart).
func nextTransition(loc *time.Location, from time.Time) time.Time {
	_, off := from.In(loc).Zone()
	d := from.In(loc)
	for range 400 {
		d = d.AddDate(0, 0, 1)
		if _, o := d.Zone(); o != off {
			return d
		}
	}
	panic("no transition")
}

// dateIn returns the civil date of t in loc, days later.
func dateIn(t time.Time, loc *time.Location, days int) string {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day()+days, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}
