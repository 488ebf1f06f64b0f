package calendar

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	gcal "google.golang.org/api/calendar/v3"
	"google.golang.org/api/googleapi"

	"github.com/gwmcp/gwmcp/internal/tools"
)

// This file shapes events for the model: compact records with the event's own time zone,
// the same instants in UTC, and all-day events flagged with their exclusive end spelled out.

// EventInfo is one event or one instance of a recurring event.
type EventInfo struct {
	ID          string `json:"id" jsonschema:"The event id (an instance of a recurring event has the id of its series plus _ and its original start)."`
	Summary     string `json:"summary" jsonschema:"The title."`
	Description string `json:"description,omitempty" jsonschema:"The description."`
	Location    string `json:"location,omitempty" jsonschema:"The location."`
	Start       string `json:"start" jsonschema:"The start: an RFC 3339 date-time in the event's own time zone (startTimeZone), or a date (YYYY-MM-DD) for an all-day event."`
	End         string `json:"end" jsonschema:"The end: an RFC 3339 date-time in the event's own time zone (endTimeZone), or for an all-day event the day after its last day (exclusive, as Google stores it)."`
	AllDay      bool   `json:"allDay" jsonschema:"True for an all-day event (start and end are dates)."`
	LastDay     string `json:"lastDay,omitempty" jsonschema:"All-day events: the last day the event covers (the day before end)."`
	// Python server names for the event's time zones.
	StartTimeZone    string   `json:"startTimeZone,omitempty" jsonschema:"The IANA time zone of the start: the event's own, or its calendar's when the event has none. Empty for all-day events."`
	EndTimeZone      string   `json:"endTimeZone,omitempty" jsonschema:"The IANA time zone of the end."`
	StartUTC         string   `json:"startUtc,omitempty" jsonschema:"The start in UTC (timed events)."`
	EndUTC           string   `json:"endUtc,omitempty" jsonschema:"The end in UTC (timed events)."`
	Status           string   `json:"status,omitempty" jsonschema:"confirmed, tentative or cancelled."`
	HTMLLink         string   `json:"htmlLink,omitempty" jsonschema:"The event in the Google Calendar web interface."`
	Organizer        string   `json:"organizer,omitempty" jsonschema:"The organizer's email (or calendar id)."`
	Creator          string   `json:"creator,omitempty" jsonschema:"The creator's email."`
	Attendees        []string `json:"attendees,omitempty" jsonschema:"The attendees' emails."`
	Recurrence       []string `json:"recurrence,omitempty" jsonschema:"RRULE, EXRULE, RDATE and EXDATE lines of a recurring event's series."`
	RecurringEventID string   `json:"recurringEventId,omitempty" jsonschema:"For an instance: the id of its recurring series."`
	Transparency     string   `json:"transparency,omitempty" jsonschema:"transparent when the event does not block time (shows as free)."`
	Visibility       string   `json:"visibility,omitempty" jsonschema:"default, public, private or confidential."`
	Attachments      []string `json:"attachments,omitempty" jsonschema:"URLs of attached files."`
}

// eventInfo converts an API event; calZone is the calendar's time zone, used when the event
// names none.
func eventInfo(ev *gcal.Event, calZone string, z zones) EventInfo {
	out := EventInfo{ID: ev.Id, Summary: ev.Summary, Description: ev.Description, Location: ev.Location,
		Status: ev.Status, HTMLLink: ev.HtmlLink, Recurrence: ev.Recurrence, RecurringEventID: ev.RecurringEventId,
		Transparency: ev.Transparency, Visibility: ev.Visibility}
	if out.Summary == "" {
		out.Summary = "(no title)"
	}
	if ev.Organizer != nil {
		out.Organizer = ev.Organizer.Email
	}
	if ev.Creator != nil {
		out.Creator = ev.Creator.Email
	}
	for _, a := range ev.Attendees {
		if a != nil {
			out.Attendees = append(out.Attendees, a.Email)
		}
	}
	for _, a := range ev.Attachments {
		if a != nil {
			out.Attachments = append(out.Attachments, a.FileUrl)
		}
	}
	if ev.Start != nil && ev.Start.Date != "" {
		out.AllDay = true
		out.Start = ev.Start.Date
		if ev.End != nil {
			out.End = ev.End.Date
			if d, err := time.Parse(time.DateOnly, ev.End.Date); err == nil {
				out.LastDay = d.AddDate(0, 0, -1).Format(time.DateOnly)
			}
		}
		return out
	}
	out.Start, out.StartTimeZone, out.StartUTC = timedOut(ev.Start, calZone, z)
	out.End, out.EndTimeZone, out.EndUTC = timedOut(ev.End, calZone, z)
	return out
}

// timedOut renders a timed EventDateTime in its own time zone and in UTC.
func timedOut(dt *gcal.EventDateTime, calZone string, z zones) (local, zone, utc string) {
	if dt == nil {
		return "", "", ""
	}
	zone = dt.TimeZone
	if zone == "" {
		zone = calZone
	}
	t, err := time.Parse(time.RFC3339Nano, dt.DateTime)
	if err != nil {
		return dt.DateTime, zone, ""
	}
	if loc := z.get(zone); loc != nil {
		t = t.In(loc)
	}
	return t.Format(time.RFC3339), zone, t.UTC().Format(time.RFC3339)
}

// calendarZone returns a calendar's time zone as events.list reports it (the events scopes
// allow it, unlike calendars.get).
func calendarZone(ctx context.Context, svc *gcal.Service, calendarID string) (string, error) {
	res, err := svc.Events.List(calendarID).MaxResults(1).Fields("timeZone").Context(ctx).Do()
	if err != nil {
		return "", fmt.Errorf("reading the time zone of calendar %s: %w", calendarID, err)
	}
	return res.TimeZone, nil
}

// orDefault returns v, or def when v is empty.
func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// notFound rewrites Google's 404 for a named event or calendar into a sentence that says
// what was missing and where to look; other errors pass unchanged.
func notFound(err error, what string) error {
	var ge *googleapi.Error
	if errors.As(err, &ge) && ge.Code == http.StatusNotFound {
		return tools.Errorf("Google Calendar refused the request (404 notFound): " + what +
			" does not exist or is not shared with this account. list_calendars shows the calendars and list_events the event ids.")
	}
	return err
}
