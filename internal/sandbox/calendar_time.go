package sandbox

import (
	"strings"
	"time"
	_ "time/tzdata" // time zone names must resolve even where the system has no zoneinfo

	gcal "google.golang.org/api/calendar/v3"
)

// This file reads and writes the Calendar API's times: EventDateTime values ({date} for
// all-day events, {dateTime, timeZone} for timed ones) and RFC 3339 query parameters.

// calLoadLocation resolves an IANA time zone name as Google does: "Local" and empty names
// are not time zones.
func calLoadLocation(name string) (*time.Location, error) {
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, calErrBadTimeZone
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, calErrBadTimeZone
	}
	return loc, nil
}

type calTimeError string

func (e calTimeError) Error() string { return string(e) }

const calErrBadTimeZone = calTimeError("invalid time zone")

// calWhen is a parsed start or end of an event.
type calWhen struct {
	allDay bool
	date   time.Time      // the calCivil date (UTC midnight) of an all-day time
	t      time.Time      // the instant of a timed time
	tz     string         // the timeZone field as given, "" when none
	loc    *time.Location // tz resolved, nil when none
}

// calParseWhen reads one EventDateTime; which is "start" or "end" for the error messages.
func calParseWhen(dt *gcal.EventDateTime, which string) (calWhen, *calErr) {
	if dt == nil || (dt.Date == "" && dt.DateTime == "") {
		return calWhen{}, calErrRequired("Missing " + which + " time.")
	}
	w := calWhen{tz: dt.TimeZone}
	if dt.TimeZone != "" {
		loc, err := calLoadLocation(dt.TimeZone)
		if err != nil {
			return calWhen{}, calErrInvalid("Invalid time zone definition for " + which + " time.")
		}
		w.loc = loc
	}
	switch {
	case dt.Date != "" && dt.DateTime != "":
		return calWhen{}, calErrInvalid("Invalid " + which + " time: date and dateTime are both set.")
	case dt.Date != "":
		d, err := time.Parse(time.DateOnly, dt.Date)
		if err != nil {
			return calWhen{}, calErrInvalid("Invalid " + which + " time.")
		}
		w.allDay, w.date = true, d
	default:
		if t, err := time.Parse(time.RFC3339Nano, dt.DateTime); err == nil {
			w.t = t
			break
		}
		if w.loc == nil {
			if _, err := time.Parse("2006-01-02T15:04:05.999999999", dt.DateTime); err == nil {
				return calWhen{}, calErrRequired("Missing time zone definition for " + which + " time.")
			}
			return calWhen{}, calErrInvalid("Invalid " + which + " time.")
		}
		t, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", dt.DateTime, w.loc)
		if err != nil {
			return calWhen{}, calErrInvalid("Invalid " + which + " time.")
		}
		w.t = t
	}
	if !w.allDay {
		w.t = w.t.Truncate(time.Second)
		if w.loc != nil {
			w.t = w.t.In(w.loc)
		}
	}
	return w, nil
}

// calParseSpan reads and checks an event's start and end.
func calParseSpan(start, end *gcal.EventDateTime) (calWhen, calWhen, *calErr) {
	s, err := calParseWhen(start, "start")
	if err != nil {
		return calWhen{}, calWhen{}, err
	}
	e, err := calParseWhen(end, "end")
	if err != nil {
		return calWhen{}, calWhen{}, err
	}
	if s.allDay != e.allDay {
		return calWhen{}, calWhen{}, calErrInvalid("Start and end times must either both be date or both be dateTime.")
	}
	if s.allDay && !e.date.After(s.date) || !s.allDay && e.t.Before(s.t) {
		return calWhen{}, calWhen{}, calErrTimeRangeEmpty("")
	}
	return s, e, nil
}

// at is the instant the time stands for; all-day times begin at midnight in calLoc.
func (w calWhen) at(calLoc *time.Location) time.Time {
	if w.allDay {
		return time.Date(w.date.Year(), w.date.Month(), w.date.Day(), 0, 0, 0, 0, calLoc)
	}
	return w.t
}

// render writes the time as Google answers it: dateTime in out's offset, the event's own
// timeZone kept.
func (w calWhen) render(out *time.Location) *gcal.EventDateTime {
	if w.allDay {
		return &gcal.EventDateTime{Date: w.date.Format(time.DateOnly)}
	}
	return &gcal.EventDateTime{DateTime: w.t.In(out).Format(time.RFC3339), TimeZone: w.tz}
}

// shift returns the time moved to a new start instant, keeping its kind and time zone.
func (w calWhen) shift(start time.Time) calWhen {
	if w.allDay {
		w.date = calCivilOf(start)
	} else {
		w.t = start
	}
	return w
}

// calParseQueryTime reads an RFC 3339 query parameter; Google requires the offset.
func calParseQueryTime(v, name string) (time.Time, *calErr) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(v))
	if err != nil {
		e := calErrBadRequest("Bad Request")
		e.location = name
		return time.Time{}, e
	}
	return t, nil
}
