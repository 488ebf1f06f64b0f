package calendar

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // IANA names must resolve where the system has no zoneinfo

	gcal "google.golang.org/api/calendar/v3"

	"github.com/gwmcp/gwmcp/internal/tools"
)

// This file reads the times callers give and writes the ones Google expects: RFC 3339
// date-times with an offset, date-times without offset plus an IANA time zone, and dates
// (YYYY-MM-DD) for all-day events, whose end is exclusive.

// loadZone resolves an IANA time zone name given in parameter param.
func loadZone(param, name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, badZone(param, name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, badZone(param, name)
	}
	return loc, nil
}

func badZone(param, name string) error {
	return tools.Errorf(fmt.Sprintf("%s %q is not a known IANA time zone name; use one such as America/New_York, Europe/Berlin, Asia/Tokyo or UTC.", param, name))
}

// when is one parsed start or end of an event.
type when struct {
	allDay bool
	date   time.Time // all-day: the calendar date, at UTC midnight
	t      time.Time // timed: the instant, in the time zone tz when one was given
	tz     string    // the IANA time zone the caller gave, "" when none
}

// localLayouts are the date-time forms without a UTC offset that a time zone completes.
var localLayouts = []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04"}

// isDate reports whether v has the form YYYY-MM-DD.
func isDate(v string) bool {
	return len(v) == 10 && v[4] == '-' && v[7] == '-'
}

// parseWhen reads the value v of parameter param; tz (may be "") is the IANA time zone of
// parameter tzParam, already checked, and loc its location.
func parseWhen(param, v, tzParam, tz string, loc *time.Location) (when, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return when{}, tools.Errorf(param + " is empty; give a date-time such as 2025-03-10T09:00:00+01:00 or a date such as 2025-03-10 for an all-day event.")
	}
	if isDate(v) {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return when{}, tools.Errorf(fmt.Sprintf("%s %q is not a valid date (YYYY-MM-DD).", param, v))
		}
		return when{allDay: true, date: d}, nil
	}
	v = strings.Replace(v, " ", "T", 1)
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		t = t.Truncate(time.Second)
		if loc != nil {
			t = t.In(loc)
		}
		return when{t: t, tz: tz}, nil
	}
	for _, layout := range localLayouts {
		if _, err := time.Parse(layout, v); err != nil {
			continue
		}
		if loc == nil {
			return when{}, tools.Errorf(fmt.Sprintf("%s %q has no UTC offset, so the time it means is unknown: add the offset "+
				"(for example %s+01:00, or Z for UTC), or pass %s with an IANA time zone name such as Europe/Berlin.", param, v, v, tzParam))
		}
		t, _ := time.ParseInLocation(layout, v, loc)
		wall, _ := time.Parse(layout, v)
		if got := t.Format("2006-01-02T15:04:05"); got != wall.Format("2006-01-02T15:04:05") {
			return when{}, tools.Errorf(fmt.Sprintf("%s %q does not exist in %s: the clocks skip that hour at a daylight-saving change; pick a time outside the gap.", param, v, tz))
		}
		return when{t: t.Truncate(time.Second), tz: tz}, nil
	}
	return when{}, tools.Errorf(fmt.Sprintf("%s %q is not a date-time (RFC 3339, e.g. 2025-03-10T09:00:00+01:00 or 2025-03-10T09:00:00 with %s) "+
		"or a date (YYYY-MM-DD, for an all-day event).", param, v, tzParam))
}

// eventDateTime is the Calendar API form of w.
func (w when) eventDateTime() *gcal.EventDateTime {
	if w.allDay {
		return &gcal.EventDateTime{Date: w.date.Format(time.DateOnly)}
	}
	return &gcal.EventDateTime{DateTime: w.t.Format(time.RFC3339), TimeZone: w.tz}
}

func (w when) String() string {
	if w.allDay {
		return w.date.Format(time.DateOnly)
	}
	return w.t.Format(time.RFC3339)
}

// checkSpan refuses an end before its start, and start and end of different kinds.
func checkSpan(startParam, endParam string, s, e when) error {
	switch {
	case s.allDay != e.allDay:
		return tools.Errorf(fmt.Sprintf("%s and %s must both be dates (YYYY-MM-DD, an all-day event) or both date-times.", startParam, endParam))
	case s.allDay && e.date.Equal(s.date):
		return tools.Errorf(fmt.Sprintf("%s %s equals %s, but the end of an all-day event is exclusive: an event on %s alone ends on %s "+
			"(or leave %s out).", endParam, e, startParam, s, s.date.AddDate(0, 0, 1).Format(time.DateOnly), endParam))
	case s.allDay && e.date.Before(s.date), !s.allDay && e.t.Before(s.t):
		return tools.Errorf(fmt.Sprintf("%s %s is before %s %s; the end must not come before the start.", endParam, e, startParam, s))
	}
	return nil
}

// optionalZone checks an optional time zone parameter; it returns nil for "".
func optionalZone(param, name string) (*time.Location, string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, "", nil
	}
	loc, err := loadZone(param, name)
	if err != nil {
		return nil, "", err
	}
	return loc, name, nil
}

// parseBound reads a query bound (time_min, time_max): an RFC 3339 date-time, a date-time
// without offset in loc, or a date, meaning midnight at its start in loc.
func parseBound(param, v, tzParam string, loc *time.Location) (time.Time, error) {
	w, err := parseWhen(param, v, tzParam, "", loc)
	if err != nil {
		return time.Time{}, err
	}
	if w.allDay {
		if loc == nil {
			loc = time.UTC
		}
		return time.Date(w.date.Year(), w.date.Month(), w.date.Day(), 0, 0, 0, 0, loc), nil
	}
	return w.t, nil
}

// zones caches the time zones of one call.
type zones map[string]*time.Location

// get returns the location of an IANA name, or nil when unknown.
func (z zones) get(name string) *time.Location {
	if name == "" {
		return nil
	}
	if l, ok := z[name]; ok {
		return l
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		l = nil
	}
	z[name] = l
	return l
}
