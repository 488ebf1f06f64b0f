// Package calendar owns gwmcp's Google Calendar tools: list_calendars, create_calendar,
// list_events, get_event, create_event (one or many events), modify_event, delete_event,
// bulk_calendar_operations, move_events_between_calendars and query_freebusy. Names,
// parameters and defaults follow the Python server gwmcp replaces, so prompts written for it
// keep working.
//
// Times are explicit: a tool accepts an RFC 3339 date-time with its UTC offset, a date-time
// without offset together with an IANA `timezone` parameter, or a date (YYYY-MM-DD) for
// all-day events, whose end is exclusive as in Google Calendar. Outputs show every event
// both in its own time zone and in UTC, and flag all-day events. Recurring events are
// listed as their instances (singleEvents=true) unless the caller asks for the series.
package calendar

import (
	"crypto/rand"
	"io"
	"time"

	"github.com/gwmcp/gwmcp/internal/tools"
)

// Service is the service name of every tool of this package.
const Service = "calendar"

// The scopes the tools declare (least privilege per Calendar API method; see the sandbox's
// calendar.go for what each method accepts).
const (
	scopeCalendarListRO = "https://www.googleapis.com/auth/calendar.calendarlist.readonly"
	scopeEventsRO       = "https://www.googleapis.com/auth/calendar.events.readonly"
	scopeEvents         = "https://www.googleapis.com/auth/calendar.events"
	scopeCalendar       = "https://www.googleapis.com/auth/calendar"
	// freeBusy.query accepts calendar.freebusy too, but the scope registry does not know it
	// yet; calendar.readonly is the narrowest known scope the method accepts.
	scopeCalendarRO = "https://www.googleapis.com/auth/calendar.readonly"
)

// Options are the injected clock and randomness (tests control them).
type Options struct {
	// Now is the clock used for default time windows (nil: time.Now).
	Now func() time.Time
	// Rand makes client-side event ids, which let a create be retried safely (nil:
	// crypto/rand).
	Rand io.Reader
}

// calTools holds what every handler needs.
type calTools struct {
	d    *tools.Deps
	now  func() time.Time
	rand io.Reader
}

// Register adds the Calendar tools to r.
func Register(r *tools.Registry, d *tools.Deps) { RegisterWith(r, d, Options{}) }

// RegisterWith is Register with an injected clock and randomness.
func RegisterWith(r *tools.Registry, d *tools.Deps, o Options) {
	t := &calTools{d: d, now: o.Now, rand: o.Rand}
	if t.now == nil {
		t.now = time.Now
	}
	if t.rand == nil {
		t.rand = rand.Reader
	}
	t.registerCalendars(r)
	t.registerEventReads(r)
	t.registerEventWrites(r)
	t.registerBulk(r)
	t.registerFreeBusy(r)
}
