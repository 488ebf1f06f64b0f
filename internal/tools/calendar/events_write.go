package calendar

import (
	"context"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	gcal "google.golang.org/api/calendar/v3"
	"google.golang.org/api/googleapi"

	"github.com/gwmcp/gwmcp/internal/tools"
	"github.com/gwmcp/gwmcp/internal/workspace"
)

// This file holds create_event (one event or many) and the event body checks it shares
// with modify_event.

// maxBulkCreate bounds the events of one create_event call.
const maxBulkCreate = 50

// EventData is one event to create.
type EventData struct {
	Summary     string   `json:"summary" jsonschema:"The event's title."`
	StartTime   string   `json:"start_time" jsonschema:"The start: an RFC 3339 date-time with offset (2025-03-10T09:00:00+01:00 or ...Z), a date-time without offset together with timezone, or a date (YYYY-MM-DD) for an all-day event."`
	EndTime     string   `json:"end_time,omitempty" jsonschema:"The end, in the same form as start_time. For all-day events it is exclusive (a one-day event on 2025-03-10 ends 2025-03-11) and may be left out for a one-day event. Required for timed events."`
	Description string   `json:"description,omitempty" jsonschema:"Details of the event (plain text or basic HTML)."`
	Location    string   `json:"location,omitempty" jsonschema:"A place or a meeting link."`
	Attendees   []string `json:"attendees,omitempty" jsonschema:"Email addresses to invite."`
	TimeZone    string   `json:"timezone,omitempty" jsonschema:"IANA time zone of the event (e.g. Europe/Berlin): completes date-times without offset and becomes the event's own time zone, which recurring events follow across daylight-saving changes. Default for a recurring timed event: the calendar's time zone."`
	Recurrence  []string `json:"recurrence,omitempty" jsonschema:"Recurrence lines as in RFC 5545, passed to Google unchanged, e.g. RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10 or EXDATE;TZID=Europe/Berlin:20250317T090000."`
	Attachments []string `json:"attachments,omitempty" jsonschema:"Google Drive files to attach: file URLs (https://drive.google.com/file/d/ID/...) or file ids; at most 25."`
}

type createEventIn struct {
	tools.AccountParam
	CalendarID string      `json:"calendar_id,omitempty" jsonschema:"The calendar to create the events on: 'primary' (default) or an id from list_calendars."`
	Events     []EventData `json:"events,omitempty" jsonschema:"Several events to create in one call (at most 50). Leave out to create one event from summary, start_time and the other top-level fields."`
	// The single event (when events is not given); the same fields as EventData.
	Summary     string   `json:"summary,omitempty" jsonschema:"The event's title (single event)."`
	StartTime   string   `json:"start_time,omitempty" jsonschema:"The start: an RFC 3339 date-time with offset (2025-03-10T09:00:00+01:00 or ...Z), a date-time without offset together with timezone, or a date (YYYY-MM-DD) for an all-day event."`
	EndTime     string   `json:"end_time,omitempty" jsonschema:"The end, in the same form as start_time. For all-day events it is exclusive (a one-day event on 2025-03-10 ends 2025-03-11) and may be left out for a one-day event. Required for timed events."`
	Description string   `json:"description,omitempty" jsonschema:"Details of the event (plain text or basic HTML)."`
	Location    string   `json:"location,omitempty" jsonschema:"A place or a meeting link."`
	Attendees   []string `json:"attendees,omitempty" jsonschema:"Email addresses to invite."`
	TimeZone    string   `json:"timezone,omitempty" jsonschema:"IANA time zone of the event (e.g. Europe/Berlin): completes date-times without offset and becomes the event's own time zone, which recurring events follow across daylight-saving changes. Default for a recurring timed event: the calendar's time zone."`
	Recurrence  []string `json:"recurrence,omitempty" jsonschema:"Recurrence lines as in RFC 5545, passed to Google unchanged, e.g. RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10 or EXDATE;TZID=Europe/Berlin:20250317T090000."`
	Attachments []string `json:"attachments,omitempty" jsonschema:"Google Drive files to attach: file URLs (https://drive.google.com/file/d/ID/...) or file ids; at most 25."`
}

// single returns the top-level event fields.
func (in createEventIn) single() EventData {
	return EventData{Summary: in.Summary, StartTime: in.StartTime, EndTime: in.EndTime, Description: in.Description,
		Location: in.Location, Attendees: in.Attendees, TimeZone: in.TimeZone, Recurrence: in.Recurrence, Attachments: in.Attachments}
}

type eventFailure struct {
	Index     int    `json:"index" jsonschema:"Position of the event in events (0-based)."`
	Summary   string `json:"summary"`
	StartTime string `json:"start_time"`
	Error     string `json:"error"`
}

type createEventOut struct {
	Success        bool           `json:"success" jsonschema:"True when every event was created."`
	EventID        string         `json:"eventId,omitempty" jsonschema:"The id of the created event (single-event calls)."`
	HTMLLink       string         `json:"htmlLink,omitempty" jsonschema:"The created event in Google Calendar (single-event calls)."`
	Created        []EventInfo    `json:"created" jsonschema:"The events created, as Google stored them."`
	Failed         []eventFailure `json:"failed,omitempty" jsonschema:"Events Google refused, with its reason."`
	TotalProcessed int            `json:"totalProcessed"`
	CalendarID     string         `json:"calendarId"`
	UserEmail      string         `json:"userEmail"`
	Message        string         `json:"message"`
}

func (t *calTools) registerEventWrites(r *tools.Registry) {
	addTool(r, t.d, &mcp.Tool{Name: "create_event", Title: "Create Calendar Event(s)",
		Description: "Creates one event (summary, start_time, end_time and optional fields) or several at once (events, a list of " +
			"such objects) on a Google Calendar. Times must be unambiguous: an RFC 3339 date-time with offset, a date-time without " +
			"offset plus timezone (IANA name), or a date (YYYY-MM-DD) for an all-day event, whose end is exclusive and defaults to the " +
			"next day. recurrence takes RRULE/EXDATE lines; a recurring event keeps its wall-clock time in its time zone across " +
			"daylight-saving changes. Returns each created event with its id and link; in a multi-event call, events Google refuses " +
			"are listed in failed while the others are created.",
		Annotations: &mcp.ToolAnnotations{Title: "Create Calendar Event(s)", DestructiveHint: new(false), OpenWorldHint: new(true)},
	}, []string{scopeEvents}, tools.Core, nil, t.createEvent)

	addTool(r, t.d, &mcp.Tool{Name: "modify_event", Title: "Modify Calendar Event",
		Description: "Changes an existing event: only the fields given change. Giving start_time alone moves the event and keeps its " +
			"length; timezone alone changes the event's own time zone keeping its instants. An instance id (from list_events) " +
			"changes that one occurrence of a recurring event; the series id changes every occurrence. Times follow the same rules " +
			"as create_event.",
		Annotations: &mcp.ToolAnnotations{Title: "Modify Calendar Event", DestructiveHint: new(true), IdempotentHint: true, OpenWorldHint: new(true)},
	}, []string{scopeEvents}, tools.Core, nil, t.modifyEvent)

	addTool(r, t.d, &mcp.Tool{Name: "delete_event", Title: "Delete Calendar Event(s)",
		Description: "Deletes one or more events by id (event_id: one id or several separated by commas; or event_ids, a list). " +
			"A recurring series' id deletes the whole series; an instance id (from list_events) deletes only that occurrence. " +
			"Reports which ids were deleted and which failed.",
		Annotations: &mcp.ToolAnnotations{Title: "Delete Calendar Event(s)", DestructiveHint: new(true), IdempotentHint: true, OpenWorldHint: new(true)},
	}, []string{scopeEvents}, tools.Core, nil, t.deleteEvent)
}

// isEmpty reports whether no single-event field is set.
func (d EventData) isEmpty() bool {
	return d.Summary == "" && d.StartTime == "" && d.EndTime == "" && d.Description == "" && d.Location == "" &&
		len(d.Attendees) == 0 && d.TimeZone == "" && len(d.Recurrence) == 0 && len(d.Attachments) == 0
}

// pendingEvent is a checked event body; needsZone says it recurs at a time without a time
// zone, so it takes the calendar's.
type pendingEvent struct {
	body      *gcal.Event
	start     when
	needsZone bool
}

// buildEvent checks one event; prefix names its parameters in messages ("events[2].").
func buildEvent(prefix string, d EventData) (pendingEvent, error) {
	summary := strings.TrimSpace(d.Summary)
	if summary == "" || len(summary) > 1024 {
		return pendingEvent{}, tools.Errorf(prefix + "summary (the event's title) is required and must be at most 1024 characters.")
	}
	loc, tz, err := optionalZone(prefix+"timezone", d.TimeZone)
	if err != nil {
		return pendingEvent{}, err
	}
	if strings.TrimSpace(d.StartTime) == "" {
		return pendingEvent{}, tools.Errorf(prefix + "start_time is required: an RFC 3339 date-time with offset, or a date (YYYY-MM-DD) for an all-day event.")
	}
	s, err := parseWhen(prefix+"start_time", d.StartTime, prefix+"timezone", tz, loc)
	if err != nil {
		return pendingEvent{}, err
	}
	var e when
	switch {
	case strings.TrimSpace(d.EndTime) != "":
		if e, err = parseWhen(prefix+"end_time", d.EndTime, prefix+"timezone", tz, loc); err != nil {
			return pendingEvent{}, err
		}
	case s.allDay:
		e = when{allDay: true, date: s.date.AddDate(0, 0, 1)}
	default:
		return pendingEvent{}, tools.Errorf(prefix + "end_time is required for an event with a start time (only all-day events default to one day).")
	}
	if err := checkSpan(prefix+"start_time", prefix+"end_time", s, e); err != nil {
		return pendingEvent{}, err
	}
	rec, err := recurrenceLines(prefix+"recurrence", d.Recurrence)
	if err != nil {
		return pendingEvent{}, err
	}
	att, err := attendeeList(prefix+"attendees", d.Attendees)
	if err != nil {
		return pendingEvent{}, err
	}
	files, err := attachmentList(prefix+"attachments", d.Attachments)
	if err != nil {
		return pendingEvent{}, err
	}
	body := &gcal.Event{Summary: summary, Description: d.Description, Location: strings.TrimSpace(d.Location),
		Start: s.eventDateTime(), End: e.eventDateTime(), Recurrence: rec, Attendees: att, Attachments: files}
	return pendingEvent{body: body, start: s, needsZone: len(rec) > 0 && !s.allDay && tz == ""}, nil
}

// recurrenceLines checks recurrence lines; a bare rule (FREQ=...) gets its RRULE: prefix.
func recurrenceLines(param string, lines []string) ([]string, error) {
	var out []string
	for i, l := range lines {
		l = strings.TrimSpace(l)
		u := strings.ToUpper(l)
		switch {
		case l == "":
			continue
		case strings.HasPrefix(u, "FREQ="):
			l = "RRULE:" + l
		case strings.HasPrefix(u, "RRULE:"), strings.HasPrefix(u, "EXRULE:"), strings.HasPrefix(u, "RDATE"), strings.HasPrefix(u, "EXDATE"):
		default:
			return nil, tools.Errorf(fmt.Sprintf("%s[%d] %q is not a recurrence line; write e.g. RRULE:FREQ=WEEKLY;BYDAY=MO,TH or EXDATE;TZID=Europe/Berlin:20250317T090000.", param, i, l))
		}
		out = append(out, l)
	}
	return out, nil
}

func attendeeList(param string, emails []string) ([]*gcal.EventAttendee, error) {
	var out []*gcal.EventAttendee
	for i, a := range emails {
		a = strings.TrimSpace(a)
		if at := strings.Index(a, "@"); at <= 0 || at == len(a)-1 || strings.ContainsAny(a, " <>,;") {
			return nil, tools.Errorf(fmt.Sprintf("%s[%d] %q is not an email address.", param, i, a))
		}
		out = append(out, &gcal.EventAttendee{Email: a})
	}
	return out, nil
}

// withZone gives a timed event body the time zone zone, keeping its instants.
func withZone(body *gcal.Event, zone string) {
	loc := zones{}.get(zone)
	for _, dt := range []*gcal.EventDateTime{body.Start, body.End} {
		if dt == nil || dt.DateTime == "" {
			continue
		}
		dt.TimeZone = zone
		if t, err := time.Parse(time.RFC3339, dt.DateTime); err == nil && loc != nil {
			dt.DateTime = t.In(loc).Format(time.RFC3339)
		}
	}
}

// driveID matches a Drive file id.
// isDriveID reports whether s looks like a Drive file id (10 to 200 of [A-Za-z0-9_-]); a
// bounded repetition in a regexp would compile to a large program at start.
func isDriveID(s string) bool {
	if len(s) < 10 || len(s) > 200 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// attachmentList turns Drive file URLs or ids into event attachments.
func attachmentList(param string, refs []string) ([]*gcal.EventAttachment, error) {
	if len(refs) > 25 {
		return nil, tools.Errorf(param + " holds more than 25 files; Google allows 25 attachments per event.")
	}
	var out []*gcal.EventAttachment
	for i, ref := range refs {
		id := strings.TrimSpace(ref)
		if u, err := url.Parse(id); err == nil && u.Scheme == "https" && strings.HasSuffix(u.Host, "google.com") {
			id = u.Query().Get("id")
			if parts := strings.Split(u.Path, "/"); id == "" {
				for j, p := range parts {
					if p == "d" && j+1 < len(parts) {
						id = parts[j+1]
					}
				}
			}
		}
		if !isDriveID(id) {
			return nil, tools.Errorf(fmt.Sprintf("%s[%d] %q is not a Google Drive file URL or file id.", param, i, ref))
		}
		out = append(out, &gcal.EventAttachment{FileUrl: "https://drive.google.com/open?id=" + id, Title: "Drive file " + id})
	}
	return out, nil
}

var eventIDEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

// newEventID returns a random event id in Google's alphabet (base32hex, lower case).
func (t *calTools) newEventID() (string, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(t.rand, b); err != nil {
		return "", fmt.Errorf("making an event id: %w", err)
	}
	return eventIDEncoding.EncodeToString(b), nil
}

// insert creates an event under a fresh client-chosen id, which makes the insert safe to
// retry: if a retried attempt finds the id taken (409), the first attempt succeeded and the
// stored event is returned.
func (t *calTools) insert(ctx context.Context, svc *gcal.Service, calID string, body *gcal.Event) (*gcal.Event, error) {
	id, err := t.newEventID()
	if err != nil {
		return nil, err
	}
	ev := *body
	ev.Id = id
	created, err := svc.Events.Insert(calID, &ev).SupportsAttachments(len(ev.Attachments) > 0).Context(workspace.MarkIdempotent(ctx)).Do()
	var ge *googleapi.Error
	if errors.As(err, &ge) && ge.Code == http.StatusConflict {
		if got, gerr := svc.Events.Get(calID, id).Context(ctx).Do(); gerr == nil {
			return got, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("creating event %q: %w", body.Summary, err)
	}
	return created, nil
}

func (t *calTools) createEvent(ctx context.Context, c tools.Call, in createEventIn) (createEventOut, error) {
	calID := orDefault(strings.TrimSpace(in.CalendarID), "primary")
	bulk := len(in.Events) > 0
	items := in.Events
	switch {
	case bulk && !in.single().isEmpty():
		return createEventOut{}, tools.Errorf("Give either events (several events) or the single-event fields (summary, start_time, ...), not both.")
	case bulk && len(items) > maxBulkCreate:
		return createEventOut{}, tools.Errorf(fmt.Sprintf("events holds %d events; create at most %d per call.", len(items), maxBulkCreate))
	case !bulk:
		items = []EventData{in.single()}
	}
	pending := make([]pendingEvent, len(items))
	needsZone := false
	for i, d := range items {
		prefix := ""
		if bulk {
			prefix = fmt.Sprintf("events[%d].", i)
		}
		p, err := buildEvent(prefix, d)
		if err != nil {
			return createEventOut{}, err
		}
		pending[i] = p
		needsZone = needsZone || p.needsZone
	}
	svc, err := t.d.Clients.Calendar(ctx, c.Account)
	if err != nil {
		return createEventOut{}, err
	}
	calZone := ""
	if needsZone {
		if calZone, err = calendarZone(ctx, svc, calID); err != nil {
			return createEventOut{}, err
		}
	}
	out := createEventOut{Created: []EventInfo{}, TotalProcessed: len(items), CalendarID: calID, UserEmail: c.Account}
	var created []*gcal.Event
	for i, p := range pending {
		if p.needsZone && calZone != "" {
			withZone(p.body, calZone)
		}
		ev, err := t.insert(ctx, svc, calID, p.body)
		if err != nil {
			var ge *googleapi.Error
			if !bulk || !errors.As(err, &ge) {
				return createEventOut{}, err
			}
			out.Failed = append(out.Failed, eventFailure{Index: i, Summary: items[i].Summary, StartTime: items[i].StartTime,
				Error: workspace.Describe(err)})
			continue
		}
		created = append(created, ev)
	}
	z := zones{}
	for _, ev := range created {
		if calZone == "" && ev.Start != nil && ev.Start.Date == "" && ev.Start.TimeZone == "" {
			calZone, _ = calendarZone(ctx, svc, calID) // for display only
		}
		out.Created = append(out.Created, eventInfo(ev, calZone, z))
	}
	out.Success = len(out.Failed) == 0
	if !bulk {
		ev := out.Created[0]
		out.EventID, out.HTMLLink = ev.ID, ev.HTMLLink
		out.Message = fmt.Sprintf("Created %q on %s: %s.", ev.Summary, calID, describeTimes(ev))
		return out, nil
	}
	out.Message = fmt.Sprintf("Created %d of %d events on %s.", len(out.Created), len(items), calID)
	if len(out.Failed) > 0 {
		out.Message += fmt.Sprintf(" %d failed; see failed for Google's reasons.", len(out.Failed))
	}
	return out, nil
}

// describeTimes says when an event is, in its own time zone.
func describeTimes(ev EventInfo) string {
	if ev.AllDay {
		if ev.LastDay == ev.Start {
			return "all day on " + ev.Start
		}
		return "all day from " + ev.Start + " through " + ev.LastDay
	}
	s := ev.Start + " to " + ev.End
	if ev.StartTimeZone != "" {
		s += " (" + ev.StartTimeZone + ")"
	}
	return s
}
