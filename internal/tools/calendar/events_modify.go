package calendar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	gcal "google.golang.org/api/calendar/v3"
	"google.golang.org/api/googleapi"

	"github.com/gwmcp/gwmcp/internal/tools"
	"github.com/gwmcp/gwmcp/internal/workspace"
)

// This file holds modify_event and delete_event.

type modifyEventIn struct {
	tools.AccountParam
	EventID     string   `json:"event_id" jsonschema:"The id of the event to change (an instance id changes one occurrence of a recurring event)."`
	CalendarID  string   `json:"calendar_id,omitempty" jsonschema:"The calendar holding the event: 'primary' (default) or an id from list_calendars."`
	Summary     string   `json:"summary,omitempty" jsonschema:"New title."`
	StartTime   string   `json:"start_time,omitempty" jsonschema:"New start: RFC 3339 date-time with offset, a date-time without offset together with timezone, or a date (YYYY-MM-DD) for all-day. Given alone, the event keeps its length."`
	EndTime     string   `json:"end_time,omitempty" jsonschema:"New end, in the same forms (exclusive date for all-day events)."`
	Description string   `json:"description,omitempty" jsonschema:"New description."`
	Location    string   `json:"location,omitempty" jsonschema:"New location."`
	Attendees   []string `json:"attendees,omitempty" jsonschema:"New attendee list (replaces the old one)."`
	TimeZone    string   `json:"timezone,omitempty" jsonschema:"IANA time zone: completes start_time/end_time given without offset, and becomes the event's own time zone (alone, it keeps the event's instants)."`
	Recurrence  []string `json:"recurrence,omitempty" jsonschema:"New recurrence lines (RRULE/EXDATE ...), replacing the series' rules."`
}

type modifyEventOut struct {
	Success        bool      `json:"success"`
	EventID        string    `json:"eventId"`
	Event          EventInfo `json:"event" jsonschema:"The event after the change."`
	FieldsModified []string  `json:"fieldsModified"`
	CalendarID     string    `json:"calendarId"`
	UserEmail      string    `json:"userEmail"`
	Message        string    `json:"message"`
}

type deleteEventIn struct {
	tools.AccountParam
	EventID    string   `json:"event_id,omitempty" jsonschema:"The id of the event to delete, or several ids separated by commas."`
	EventIDs   []string `json:"event_ids,omitempty" jsonschema:"Several event ids to delete (alternative to event_id)."`
	CalendarID string   `json:"calendar_id,omitempty" jsonschema:"The calendar holding the events: 'primary' (default) or an id from list_calendars."`
}

type deleteFailure struct {
	EventID string `json:"eventId"`
	Error   string `json:"error"`
}

type deleteEventOut struct {
	Success        bool            `json:"success" jsonschema:"True when every event was deleted."`
	EventsDeleted  []string        `json:"eventsDeleted"`
	EventsFailed   []deleteFailure `json:"eventsFailed,omitempty"`
	TotalProcessed int             `json:"totalProcessed"`
	CalendarID     string          `json:"calendarId"`
	UserEmail      string          `json:"userEmail"`
	Message        string          `json:"message"`
}

// existingWhen reads a stored start or end.
func existingWhen(dt *gcal.EventDateTime) (when, bool) {
	if dt == nil {
		return when{}, false
	}
	if dt.Date != "" {
		d, err := time.Parse(time.DateOnly, dt.Date)
		return when{allDay: true, date: d}, err == nil
	}
	t, err := time.Parse(time.RFC3339Nano, dt.DateTime)
	if err != nil {
		return when{}, false
	}
	if loc := (zones{}).get(dt.TimeZone); loc != nil {
		t = t.In(loc)
	}
	return when{t: t, tz: dt.TimeZone}, true
}

// newSpan computes the start and end after a change of start_time, end_time or timezone.
func newSpan(in modifyEventIn, old *gcal.Event) (when, when, error) {
	s0, ok1 := existingWhen(old.Start)
	e0, ok2 := existingWhen(old.End)
	if !ok1 || !ok2 {
		return when{}, when{}, tools.Errorf("The event's current times could not be read; give both start_time and end_time.")
	}
	loc, tz, err := optionalZone("timezone", in.TimeZone)
	if err != nil {
		return when{}, when{}, err
	}
	keepTZ := tz
	if keepTZ == "" {
		keepTZ = s0.tz
	}
	s, e := s0, e0
	if in.StartTime != "" {
		if s, err = parseWhen("start_time", in.StartTime, "timezone", keepTZ, loc); err != nil {
			return when{}, when{}, err
		}
	}
	if in.EndTime != "" {
		if e, err = parseWhen("end_time", in.EndTime, "timezone", keepTZ, loc); err != nil {
			return when{}, when{}, err
		}
	}
	switch {
	case in.StartTime != "" && in.EndTime == "" && s.allDay && s0.allDay:
		e = when{allDay: true, date: s.date.Add(e0.date.Sub(s0.date))}
	case in.StartTime != "" && in.EndTime == "" && s.allDay:
		e = when{allDay: true, date: s.date.AddDate(0, 0, 1)}
	case in.StartTime != "" && in.EndTime == "" && !s0.allDay:
		e = when{t: s.t.Add(e0.t.Sub(s0.t)), tz: s.tz}
	case in.StartTime != "" && in.EndTime == "":
		return when{}, when{}, tools.Errorf("The event is all-day; to give it a start time, give end_time too.")
	}
	if tz != "" {
		for _, w := range []*when{&s, &e} {
			if !w.allDay {
				w.t, w.tz = w.t.In(loc), tz
			}
		}
	}
	if err := checkSpan("start_time", "end_time", s, e); err != nil {
		return when{}, when{}, err
	}
	return s, e, nil
}

func (t *calTools) modifyEvent(ctx context.Context, c tools.Call, in modifyEventIn) (modifyEventOut, error) {
	calID := orDefault(strings.TrimSpace(in.CalendarID), "primary")
	id := strings.TrimSpace(in.EventID)
	if id == "" {
		return modifyEventOut{}, tools.Errorf("event_id is required; list_events shows the ids.")
	}
	patch := &gcal.Event{}
	var fields []string
	if in.Summary != "" {
		patch.Summary = strings.TrimSpace(in.Summary)
		fields = append(fields, "summary")
	}
	if in.Description != "" {
		patch.Description = in.Description
		fields = append(fields, "description")
	}
	if in.Location != "" {
		patch.Location = in.Location
		fields = append(fields, "location")
	}
	if in.Attendees != nil {
		att, err := attendeeList("attendees", in.Attendees)
		if err != nil {
			return modifyEventOut{}, err
		}
		patch.Attendees = att
		fields = append(fields, "attendees")
	}
	if in.Recurrence != nil {
		rec, err := recurrenceLines("recurrence", in.Recurrence)
		if err != nil {
			return modifyEventOut{}, err
		}
		patch.Recurrence = rec
		fields = append(fields, "recurrence")
	}
	timesChange := in.StartTime != "" || in.EndTime != "" || in.TimeZone != ""
	if _, _, err := optionalZone("timezone", in.TimeZone); err != nil {
		return modifyEventOut{}, err
	}
	if len(fields) == 0 && !timesChange {
		return modifyEventOut{}, tools.Errorf("Nothing to change: give at least one of summary, start_time, end_time, timezone, description, location, attendees or recurrence.")
	}
	svc, err := t.d.Clients.Calendar(ctx, c.Account)
	if err != nil {
		return modifyEventOut{}, err
	}
	old, err := svc.Events.Get(calID, id).Context(ctx).Do()
	if err != nil {
		return modifyEventOut{}, notFound(fmt.Errorf("reading event %s: %w", id, err), fmt.Sprintf("event %q on calendar %q", id, calID))
	}
	calZone := ""
	if timesChange {
		s, e, err := newSpan(in, old)
		if err != nil {
			return modifyEventOut{}, err
		}
		patch.Start, patch.End = s.eventDateTime(), e.eventDateTime()
		recurs := len(patch.Recurrence) > 0 || patch.Recurrence == nil && len(old.Recurrence) > 0
		if recurs && !s.allDay && s.tz == "" {
			if calZone, err = calendarZone(ctx, svc, calID); err != nil {
				return modifyEventOut{}, err
			}
			withZone(patch, calZone)
		}
		for _, f := range []struct {
			given bool
			name  string
		}{{in.StartTime != "", "start_time"}, {in.EndTime != "", "end_time"}, {in.TimeZone != "", "timezone"}} {
			if f.given {
				fields = append(fields, f.name)
			}
		}
	}
	ev, err := svc.Events.Patch(calID, id, patch).Context(ctx).Do()
	if err != nil {
		return modifyEventOut{}, fmt.Errorf("changing event %s: %w", id, err)
	}
	if calZone == "" && ev.Start != nil && ev.Start.Date == "" && ev.Start.TimeZone == "" {
		calZone, _ = calendarZone(ctx, svc, calID) // for display only
	}
	info := eventInfo(ev, calZone, zones{})
	return modifyEventOut{Success: true, EventID: ev.Id, Event: info, FieldsModified: fields, CalendarID: calID,
		UserEmail: c.Account, Message: fmt.Sprintf("Changed %s of %q, now %s.", strings.Join(fields, ", "), info.Summary, describeTimes(info))}, nil
}

// eventIDs reads event_id (one id, comma-separated ids or a JSON array of ids) and event_ids.
func eventIDs(in deleteEventIn) []string {
	var ids []string
	v := strings.TrimSpace(in.EventID)
	var arr []string
	switch {
	case strings.HasPrefix(v, "[") && json.Unmarshal([]byte(v), &arr) == nil:
		ids = append(ids, arr...)
	case v != "":
		ids = append(ids, strings.Split(v, ",")...)
	}
	ids = append(ids, in.EventIDs...)
	var out []string
	seen := map[string]bool{}
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// maxDelete bounds the ids of one delete_event call.
const maxDelete = 100

func (t *calTools) deleteEvent(ctx context.Context, c tools.Call, in deleteEventIn) (deleteEventOut, error) {
	calID := orDefault(strings.TrimSpace(in.CalendarID), "primary")
	ids := eventIDs(in)
	switch {
	case len(ids) == 0:
		return deleteEventOut{}, tools.Errorf("Give the id of the event to delete in event_id (list_events shows the ids).")
	case len(ids) > maxDelete:
		return deleteEventOut{}, tools.Errorf(fmt.Sprintf("%d ids given; delete at most %d per call.", len(ids), maxDelete))
	}
	svc, err := t.d.Clients.Calendar(ctx, c.Account)
	if err != nil {
		return deleteEventOut{}, err
	}
	out := deleteEventOut{EventsDeleted: []string{}, TotalProcessed: len(ids), CalendarID: calID, UserEmail: c.Account}
	for _, id := range ids {
		err := svc.Events.Delete(calID, id).Context(ctx).Do()
		if err == nil {
			out.EventsDeleted = append(out.EventsDeleted, id)
			continue
		}
		var ge *googleapi.Error
		if len(ids) == 1 || !errors.As(err, &ge) {
			return deleteEventOut{}, notFound(fmt.Errorf("deleting event %s: %w", id, err), fmt.Sprintf("event %q on calendar %q", id, calID))
		}
		out.EventsFailed = append(out.EventsFailed, deleteFailure{EventID: id, Error: workspace.Describe(err)})
	}
	out.Success = len(out.EventsFailed) == 0
	out.Message = fmt.Sprintf("Deleted %d of %d events from %s.", len(out.EventsDeleted), len(ids), calID)
	if len(out.EventsFailed) > 0 {
		out.Message += " See eventsFailed for the others."
	}
	return out, nil
}
