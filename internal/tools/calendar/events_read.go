package calendar

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	gcal "google.golang.org/api/calendar/v3"

	"github.com/gwmcp/gwmcp/internal/tools"
)

// This file holds list_events and get_event.

// defaultListWindow is how far past time_min list_events looks when time_max is not given
// (the Python server's default).
const defaultListWindow = 10 * 24 * time.Hour

type listEventsIn struct {
	tools.AccountParam
	CalendarID string `json:"calendar_id,omitempty" jsonschema:"The calendar to read: 'primary' (default) for the account's main calendar, or an id from list_calendars."`
	TimeMin    string `json:"time_min,omitempty" jsonschema:"Start of the window (inclusive): an RFC 3339 date-time with offset (2025-03-10T09:00:00-05:00 or ...Z), a date-time without offset together with timezone, or a date (YYYY-MM-DD, midnight in timezone or else the calendar's time zone). Default: now."`
	TimeMax    string `json:"time_max,omitempty" jsonschema:"End of the window (exclusive), in the same forms as time_min. Default: 10 days after time_min."`
	MaxResults int    `json:"max_results,omitempty" jsonschema:"How many events to return, 1 to 2500 (default 25). More are reachable with page_token."`
	TimeZone   string `json:"timezone,omitempty" jsonschema:"IANA time zone (e.g. Europe/Berlin) for time_min and time_max given without offset or as dates."`
	Single     *bool  `json:"single_events,omitempty" jsonschema:"True (default): recurring events are expanded into their instances, ordered by start. False: each recurring series is listed once with its recurrence rules."`
	Query      string `json:"query,omitempty" jsonschema:"Free-text search in titles, descriptions, locations and attendees."`
	PageToken  string `json:"page_token,omitempty" jsonschema:"The nextPageToken of a previous call with the same arguments, to get the next page."`
}

type listEventsOut struct {
	Events           []EventInfo `json:"events"`
	Count            int         `json:"count"`
	CalendarID       string      `json:"calendarId"`
	CalendarTimeZone string      `json:"calendarTimeZone" jsonschema:"The calendar's IANA time zone (all-day events follow its days)."`
	TimeMin          string      `json:"timeMin" jsonschema:"The window's start that was used (RFC 3339)."`
	TimeMax          string      `json:"timeMax" jsonschema:"The window's end that was used (RFC 3339, exclusive)."`
	SingleEvents     bool        `json:"singleEvents" jsonschema:"Whether recurring events were expanded into instances."`
	NextPageToken    string      `json:"nextPageToken,omitempty" jsonschema:"More events exist: call again with this page_token."`
	UserEmail        string      `json:"userEmail"`
	Note             string      `json:"note"`
}

type getEventIn struct {
	tools.AccountParam
	EventID    string `json:"event_id" jsonschema:"The id of the event (or of one instance of a recurring event) to read."`
	CalendarID string `json:"calendar_id,omitempty" jsonschema:"The calendar holding the event: 'primary' (default) or an id from list_calendars."`
}

type getEventOut struct {
	Event      EventInfo `json:"event"`
	CalendarID string    `json:"calendarId"`
	UserEmail  string    `json:"userEmail"`
}

func (t *calTools) registerEventReads(r *tools.Registry) {
	addTool(r, t.d, &mcp.Tool{Name: "list_events", Title: "List Calendar Events",
		Description: "Lists the events of one Google Calendar in a time window (default: the next 10 days from now). Recurring events are " +
			"expanded into their single instances (single_events=true, the default), so a weekly meeting appears once per week; set " +
			"single_events=false to see each series once with its RRULE. Each event shows its start and end in its own time zone " +
			"(startTimeZone) and in UTC; all-day events have allDay=true and an exclusive end date (lastDay is the last day covered). " +
			"Returns nextPageToken when more events exist.",
		Annotations: &mcp.ToolAnnotations{Title: "List Calendar Events", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: new(true)},
	}, []string{scopeEventsRO}, tools.Core, nil, t.listEvents)

	addTool(r, t.d, &mcp.Tool{Name: "get_event", Title: "Get Calendar Event Details",
		Description: "Reads one event by id (an id from list_events, including an instance id of a recurring event) with its title, " +
			"description, location, attendees, recurrence rules, and times in its own time zone and in UTC.",
		Annotations: &mcp.ToolAnnotations{Title: "Get Calendar Event Details", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: new(true)},
	}, []string{scopeEventsRO}, tools.Extended, nil, t.getEvent)
}

// window resolves time_min and time_max of a listing: defaults from now, dates and
// offset-less times in the caller's time zone, else (dates only) in the calendar's.
func (t *calTools) window(ctx context.Context, svc *gcal.Service, calendarID, tzParam, tz, minV, maxV string, def time.Duration) (time.Time, time.Time, error) {
	loc, _, err := optionalZone(tzParam, tz)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if loc == nil && (isDate(strings.TrimSpace(minV)) || isDate(strings.TrimSpace(maxV))) {
		zone, zerr := calendarZone(ctx, svc, calendarID)
		if zerr != nil {
			return time.Time{}, time.Time{}, zerr
		}
		loc = zones{}.get(zone)
	}
	from := t.now()
	if strings.TrimSpace(minV) != "" {
		if from, err = parseBound("time_min", minV, tzParam, loc); err != nil {
			return time.Time{}, time.Time{}, err
		}
	}
	to := from.Add(def)
	if strings.TrimSpace(maxV) != "" {
		if to, err = parseBound("time_max", maxV, tzParam, loc); err != nil {
			return time.Time{}, time.Time{}, err
		}
	}
	if !to.After(from) {
		return time.Time{}, time.Time{}, tools.Errorf(fmt.Sprintf("time_max (%s) must be after time_min (%s).",
			to.Format(time.RFC3339), from.Format(time.RFC3339)))
	}
	return from, to, nil
}

func (t *calTools) listEvents(ctx context.Context, c tools.Call, in listEventsIn) (listEventsOut, error) {
	calID := orDefault(strings.TrimSpace(in.CalendarID), "primary")
	size := in.MaxResults
	switch {
	case size == 0:
		size = 25
	case size < 1 || size > 2500:
		return listEventsOut{}, tools.Errorf("max_results must be between 1 and 2500.")
	}
	single := in.Single == nil || *in.Single
	if _, _, err := optionalZone("timezone", in.TimeZone); err != nil {
		return listEventsOut{}, err
	}
	svc, err := t.d.Clients.Calendar(ctx, c.Account)
	if err != nil {
		return listEventsOut{}, err
	}
	from, to, err := t.window(ctx, svc, calID, "timezone", in.TimeZone, in.TimeMin, in.TimeMax, defaultListWindow)
	if err != nil {
		return listEventsOut{}, err
	}
	call := svc.Events.List(calID).TimeMin(from.Format(time.RFC3339)).TimeMax(to.Format(time.RFC3339)).
		MaxResults(int64(size)).SingleEvents(single).Context(ctx)
	if single {
		call = call.OrderBy("startTime")
	}
	if q := strings.TrimSpace(in.Query); q != "" {
		call = call.Q(q)
	}
	if in.PageToken != "" {
		call = call.PageToken(in.PageToken)
	}
	res, err := call.Do()
	if err != nil {
		return listEventsOut{}, notFound(fmt.Errorf("listing events of %s: %w", calID, err), fmt.Sprintf("calendar %q", calID))
	}
	out := listEventsOut{Events: []EventInfo{}, CalendarID: calID, CalendarTimeZone: res.TimeZone,
		TimeMin: from.Format(time.RFC3339), TimeMax: to.Format(time.RFC3339), SingleEvents: single,
		NextPageToken: res.NextPageToken, UserEmail: c.Account}
	z := zones{}
	for _, ev := range res.Items {
		out.Events = append(out.Events, eventInfo(ev, res.TimeZone, z))
	}
	out.Count = len(out.Events)
	if single {
		out.Note = "Recurring events are expanded into their instances (singleEvents=true), ordered by start."
	} else {
		out.Note = "Recurring events are listed once per series with their recurrence rules (singleEvents=false)."
	}
	if out.NextPageToken != "" {
		out.Note += " More events exist: call again with page_token."
	}
	return out, nil
}

func (t *calTools) getEvent(ctx context.Context, c tools.Call, in getEventIn) (getEventOut, error) {
	calID := orDefault(strings.TrimSpace(in.CalendarID), "primary")
	id := strings.TrimSpace(in.EventID)
	if id == "" {
		return getEventOut{}, tools.Errorf("event_id is required; list_events shows the ids.")
	}
	svc, err := t.d.Clients.Calendar(ctx, c.Account)
	if err != nil {
		return getEventOut{}, err
	}
	ev, err := svc.Events.Get(calID, id).Context(ctx).Do()
	if err != nil {
		return getEventOut{}, notFound(fmt.Errorf("reading event %s: %w", id, err), fmt.Sprintf("event %q on calendar %q", id, calID))
	}
	zone := ""
	if ev.Start != nil && ev.Start.Date == "" && ev.Start.TimeZone == "" {
		if zone, err = calendarZone(ctx, svc, calID); err != nil {
			return getEventOut{}, err
		}
	}
	return getEventOut{Event: eventInfo(ev, zone, zones{}), CalendarID: calID, UserEmail: c.Account}, nil
}
