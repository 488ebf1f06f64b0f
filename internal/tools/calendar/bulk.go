package calendar

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	gcal "google.golang.org/api/calendar/v3"
	"google.golang.org/api/googleapi"

	"github.com/gwmcp/gwmcp/internal/tools"
	"github.com/gwmcp/gwmcp/internal/workspace"
)

// This file holds bulk_calendar_operations and move_events_between_calendars: both select
// events by a time window and filters, and both can report what they would do without doing it.

// maxScan bounds the events one bulk call reads while looking for matches.
const maxScan = 2500

type bulkIn struct {
	tools.AccountParam
	Operation       string `json:"operation" jsonschema:"What to do with the matching events: list (show them), export (show them with all details) or delete."`
	CalendarID      string `json:"calendar_id,omitempty" jsonschema:"The calendar to work on: 'primary' (default) or an id from list_calendars."`
	TimeMin         string `json:"time_min,omitempty" jsonschema:"Start of the window (RFC 3339 with offset, date-time plus timezone, or YYYY-MM-DD). Default: 30 days ago."`
	TimeMax         string `json:"time_max,omitempty" jsonschema:"End of the window (exclusive), same forms. Default: one year after time_min."`
	TimeZone        string `json:"timezone,omitempty" jsonschema:"IANA time zone for time_min/time_max given without offset or as dates (default for dates: the calendar's)."`
	TitlePattern    string `json:"title_pattern,omitempty" jsonschema:"Regular expression (RE2, case-insensitive) the title must match."`
	LocationPattern string `json:"location_pattern,omitempty" jsonschema:"Regular expression (RE2, case-insensitive) the location must match."`
	AttendeeEmail   string `json:"attendee_email,omitempty" jsonschema:"Only events with this attendee."`
	MaxResults      int    `json:"max_results,omitempty" jsonschema:"At most this many matching events are processed, 1 to 2500 (default 100)."`
	DryRun          *bool  `json:"dry_run,omitempty" jsonschema:"True (default): only report what would be affected, change nothing. Set false to really delete."`
}

type bulkResult struct {
	EventID string `json:"eventId"`
	Summary string `json:"summary"`
	Start   string `json:"start"`
	Status  string `json:"status" jsonschema:"preview (dry run), listed, deleted or failed."`
	Error   string `json:"error,omitempty"`
}

type bulkFilters struct {
	TimeMin         string `json:"timeMin"`
	TimeMax         string `json:"timeMax"`
	TitlePattern    string `json:"titlePattern,omitempty"`
	LocationPattern string `json:"locationPattern,omitempty"`
	AttendeeEmail   string `json:"attendeeEmail,omitempty"`
}

type bulkOut struct {
	Success        bool         `json:"success"`
	Operation      string       `json:"operation"`
	CalendarID     string       `json:"calendarId"`
	UserEmail      string       `json:"userEmail"`
	DryRun         bool         `json:"dryRun" jsonschema:"True when nothing was changed."`
	TotalFound     int          `json:"totalFound" jsonschema:"Events read in the window."`
	TotalMatched   int          `json:"totalMatched" jsonschema:"Events matching the filters (at most max_results)."`
	TotalProcessed int          `json:"totalProcessed" jsonschema:"Events changed (0 in a dry run)."`
	Results        []bulkResult `json:"results"`
	Events         []EventInfo  `json:"events,omitempty" jsonschema:"export: the matching events with all details."`
	Filters        bulkFilters  `json:"filters"`
	Message        string       `json:"message"`
}

type moveIn struct {
	tools.AccountParam
	SourceCalendarID string `json:"source_calendar_id" jsonschema:"The calendar to take events from ('primary' or an id from list_calendars)."`
	TargetCalendarID string `json:"target_calendar_id" jsonschema:"The calendar to put them on; you need write access to both."`
	TimeMin          string `json:"time_min,omitempty" jsonschema:"Start of the window (RFC 3339 with offset, date-time plus timezone, or YYYY-MM-DD). Default: now."`
	TimeMax          string `json:"time_max,omitempty" jsonschema:"End of the window (exclusive). Default: one year after time_min."`
	TimeZone         string `json:"timezone,omitempty" jsonschema:"IANA time zone for time_min/time_max given without offset or as dates."`
	TitlePattern     string `json:"title_pattern,omitempty" jsonschema:"Regular expression (RE2, case-insensitive) the title must match."`
	MaxResults       int    `json:"max_results,omitempty" jsonschema:"At most this many events, 1 to 500 (default 50)."`
	DeleteFromSource bool   `json:"delete_from_source,omitempty" jsonschema:"True: move the events (same id, attendees and recurrence; they leave the source). False (default): copy them, leaving the originals."`
	DryRun           bool   `json:"dry_run,omitempty" jsonschema:"True: only report which events would be moved or copied."`
}

type moveResult struct {
	OriginalID string `json:"originalId"`
	NewID      string `json:"newId,omitempty"`
	Summary    string `json:"summary"`
	Start      string `json:"start"`
	Status     string `json:"status" jsonschema:"moved, copied, preview (dry run), skipped or failed."`
	Error      string `json:"error,omitempty"`
}

type moveOut struct {
	Success          bool         `json:"success"`
	SourceCalendarID string       `json:"sourceCalendarId"`
	TargetCalendarID string       `json:"targetCalendarId"`
	UserEmail        string       `json:"userEmail"`
	DryRun           bool         `json:"dryRun"`
	TotalFound       int          `json:"totalFound"`
	TotalCopied      int          `json:"totalCopied"`
	TotalMoved       int          `json:"totalMoved"`
	TotalDeleted     int          `json:"totalDeleted" jsonschema:"Events that left the source calendar (moved)."`
	Results          []moveResult `json:"results"`
	Message          string       `json:"message"`
}

func (t *calTools) registerBulk(r *tools.Registry) {
	addTool(r, t.d, &mcp.Tool{Name: "bulk_calendar_operations", Title: "Bulk Calendar Operations",
		Description: "Selects events on one calendar by time window (default: from 30 days ago), title/location regular expressions " +
			"and attendee, then lists, exports or deletes them. dry_run is true by default: the answer shows exactly which events " +
			"would be affected and nothing changes; call again with dry_run=false to delete. Recurring events are handled per " +
			"instance: deleting matches removes only the matching occurrences, not the whole series.",
		Annotations: &mcp.ToolAnnotations{Title: "Bulk Calendar Operations", DestructiveHint: new(true), OpenWorldHint: new(true)},
	}, []string{scopeEvents}, tools.Complete, map[string][]any{"operation": {"list", "export", "delete"}}, t.bulk)

	addTool(r, t.d, &mcp.Tool{Name: "move_events_between_calendars", Title: "Move Events Between Calendars",
		Description: "Copies (default) or moves (delete_from_source=true) the events of a time window (default: from now), optionally " +
			"filtered by a title regular expression, from one calendar to another. A recurring series is handled as a whole: it is " +
			"selected when one of its occurrences is in the window and moved or copied with all its occurrences. Moving keeps event " +
			"ids; copying creates new ones. dry_run=true reports what would happen without changing anything.",
		Annotations: &mcp.ToolAnnotations{Title: "Move Events Between Calendars", DestructiveHint: new(true), OpenWorldHint: new(true)},
	}, []string{scopeEvents}, tools.Extended, nil, t.move)
}

// pattern compiles a case-insensitive filter.
func pattern(param, v string) (*regexp.Regexp, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	re, err := regexp.Compile("(?i)" + v)
	if err != nil {
		return nil, tools.Errorf(fmt.Sprintf("%s %q is not a valid regular expression (RE2 syntax).", param, v))
	}
	return re, nil
}

// scan lists events of calendarID in [from, to) page by page, calling keep for each until it
// returns false or maxScan events were read; it returns the calendar's time zone and the
// number of events read.
func scan(ctx context.Context, svc *gcal.Service, calendarID string, from, to time.Time, single bool, keep func(*gcal.Event) bool) (string, int, error) {
	zone, read, token := "", 0, ""
	for {
		call := svc.Events.List(calendarID).TimeMin(from.Format(time.RFC3339)).TimeMax(to.Format(time.RFC3339)).
			SingleEvents(single).MaxResults(250).Context(ctx)
		if single {
			call = call.OrderBy("startTime")
		}
		if token != "" {
			call = call.PageToken(token)
		}
		res, err := call.Do()
		if err != nil {
			return "", read, fmt.Errorf("listing events of %s: %w", calendarID, err)
		}
		zone = res.TimeZone
		for _, ev := range res.Items {
			read++
			if !keep(ev) || read >= maxScan {
				return zone, read, nil
			}
		}
		if token = res.NextPageToken; token == "" {
			return zone, read, nil
		}
	}
}

func (t *calTools) bulk(ctx context.Context, c tools.Call, in bulkIn) (bulkOut, error) {
	op := strings.ToLower(strings.TrimSpace(in.Operation))
	if op != "list" && op != "export" && op != "delete" {
		return bulkOut{}, tools.Errorf(fmt.Sprintf("operation %q is not one of list, export, delete.", in.Operation))
	}
	calID := orDefault(strings.TrimSpace(in.CalendarID), "primary")
	limit := in.MaxResults
	switch {
	case limit == 0:
		limit = 100
	case limit < 1 || limit > 2500:
		return bulkOut{}, tools.Errorf("max_results must be between 1 and 2500.")
	}
	dry := in.DryRun == nil || *in.DryRun
	title, err := pattern("title_pattern", in.TitlePattern)
	if err != nil {
		return bulkOut{}, err
	}
	place, err := pattern("location_pattern", in.LocationPattern)
	if err != nil {
		return bulkOut{}, err
	}
	if _, _, err := optionalZone("timezone", in.TimeZone); err != nil {
		return bulkOut{}, err
	}
	svc, err := t.d.Clients.Calendar(ctx, c.Account)
	if err != nil {
		return bulkOut{}, err
	}
	minV := in.TimeMin
	if strings.TrimSpace(minV) == "" {
		minV = t.now().Add(-30 * 24 * time.Hour).Format(time.RFC3339)
	}
	from, to, err := t.window(ctx, svc, calID, "timezone", in.TimeZone, minV, in.TimeMax, 366*24*time.Hour)
	if err != nil {
		return bulkOut{}, err
	}
	attendee := strings.ToLower(strings.TrimSpace(in.AttendeeEmail))
	var matched []*gcal.Event
	zone, read, err := scan(ctx, svc, calID, from, to, true, func(ev *gcal.Event) bool {
		if matches(ev, title, place, attendee) {
			matched = append(matched, ev)
		}
		return len(matched) < limit
	})
	if err != nil {
		return bulkOut{}, err
	}
	out := bulkOut{Success: true, Operation: op, CalendarID: calID, UserEmail: c.Account, DryRun: dry || op != "delete",
		TotalFound: read, TotalMatched: len(matched), Results: []bulkResult{},
		Filters: bulkFilters{TimeMin: from.Format(time.RFC3339), TimeMax: to.Format(time.RFC3339), TitlePattern: in.TitlePattern,
			LocationPattern: in.LocationPattern, AttendeeEmail: in.AttendeeEmail}}
	z := zones{}
	for _, ev := range matched {
		info := eventInfo(ev, zone, z)
		res := bulkResult{EventID: ev.Id, Summary: info.Summary, Start: info.Start, Status: "listed"}
		switch {
		case op == "export":
			out.Events = append(out.Events, info)
		case op == "delete" && dry:
			res.Status = "preview"
		case op == "delete":
			if derr := svc.Events.Delete(calID, ev.Id).Context(ctx).Do(); derr != nil {
				var ge *googleapi.Error
				if !errors.As(derr, &ge) {
					return bulkOut{}, fmt.Errorf("deleting event %s: %w", ev.Id, derr)
				}
				res.Status, res.Error = "failed", workspace.Describe(derr)
				out.Success = false
			} else {
				res.Status = "deleted"
				out.TotalProcessed++
			}
		}
		out.Results = append(out.Results, res)
	}
	out.Message = fmt.Sprintf("%d of %d events read on %s match the filters.", len(matched), read, calID)
	switch {
	case op == "delete" && dry:
		out.Message += fmt.Sprintf(" Dry run: nothing was deleted; call again with dry_run=false to delete these %d events.", len(matched))
	case op == "delete":
		out.Message += fmt.Sprintf(" Deleted %d.", out.TotalProcessed)
	}
	return out, nil
}

// matches applies the bulk filters to an event.
func matches(ev *gcal.Event, title, place *regexp.Regexp, attendee string) bool {
	if title != nil && !title.MatchString(ev.Summary) || place != nil && !place.MatchString(ev.Location) {
		return false
	}
	if attendee == "" {
		return true
	}
	for _, a := range ev.Attendees {
		if a != nil && strings.EqualFold(a.Email, attendee) {
			return true
		}
	}
	return false
}

func (t *calTools) move(ctx context.Context, c tools.Call, in moveIn) (moveOut, error) {
	src, dst := strings.TrimSpace(in.SourceCalendarID), strings.TrimSpace(in.TargetCalendarID)
	switch {
	case src == "" || dst == "":
		return moveOut{}, tools.Errorf("source_calendar_id and target_calendar_id are both required (list_calendars shows the ids).")
	case src == dst:
		return moveOut{}, tools.Errorf("source_calendar_id and target_calendar_id are the same calendar.")
	}
	limit := in.MaxResults
	switch {
	case limit == 0:
		limit = 50
	case limit < 1 || limit > 500:
		return moveOut{}, tools.Errorf("max_results must be between 1 and 500.")
	}
	title, err := pattern("title_pattern", in.TitlePattern)
	if err != nil {
		return moveOut{}, err
	}
	if _, _, err := optionalZone("timezone", in.TimeZone); err != nil {
		return moveOut{}, err
	}
	svc, err := t.d.Clients.Calendar(ctx, c.Account)
	if err != nil {
		return moveOut{}, err
	}
	from, to, err := t.window(ctx, svc, src, "timezone", in.TimeZone, in.TimeMin, in.TimeMax, 366*24*time.Hour)
	if err != nil {
		return moveOut{}, err
	}
	var selected []*gcal.Event
	zone, read, err := scan(ctx, svc, src, from, to, false, func(ev *gcal.Event) bool {
		if matches(ev, title, nil, "") {
			selected = append(selected, ev)
		}
		return len(selected) < limit
	})
	if err != nil {
		return moveOut{}, err
	}
	out := moveOut{Success: true, SourceCalendarID: src, TargetCalendarID: dst, UserEmail: c.Account, DryRun: in.DryRun,
		TotalFound: read, Results: []moveResult{}}
	z := zones{}
	for _, ev := range selected {
		info := eventInfo(ev, zone, z)
		res := moveResult{OriginalID: ev.Id, Summary: info.Summary, Start: info.Start}
		switch {
		case ev.RecurringEventId != "":
			res.Status, res.Error = "skipped", "a changed occurrence of a recurring series; it moves with its series"
		case in.DryRun:
			res.Status = "preview"
		case in.DeleteFromSource:
			moved, merr := svc.Events.Move(src, ev.Id, dst).Context(ctx).Do()
			if merr != nil {
				if err := perItem(merr, &res, &out.Success); err != nil {
					return moveOut{}, fmt.Errorf("moving event %s: %w", ev.Id, err)
				}
				break
			}
			res.Status, res.NewID = "moved", moved.Id
			out.TotalMoved++
			out.TotalDeleted++
		default:
			body := copyBody(ev, zone)
			created, cerr := t.insert(ctx, svc, dst, body)
			if cerr != nil {
				if err := perItem(cerr, &res, &out.Success); err != nil {
					return moveOut{}, err
				}
				break
			}
			res.Status, res.NewID = "copied", created.Id
			out.TotalCopied++
		}
		out.Results = append(out.Results, res)
	}
	verb := "copied"
	if in.DeleteFromSource {
		verb = "moved"
	}
	if in.DryRun {
		out.Message = fmt.Sprintf("Dry run: %d events would be %s from %s to %s; nothing changed.", len(selected), verb, src, dst)
	} else {
		out.Message = fmt.Sprintf("%d of %d selected events %s from %s to %s.", out.TotalCopied+out.TotalMoved, len(selected), verb, src, dst)
	}
	return out, nil
}

// perItem records a Google refusal on one event; any other error is returned.
func perItem(err error, res *moveResult, ok *bool) error {
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		return err
	}
	res.Status, res.Error = "failed", workspace.Describe(err)
	*ok = false
	return nil
}

// copyBody is the writable part of an event, for a copy on another calendar; a timed
// recurring event gets its source calendar's time zone when it names none.
func copyBody(ev *gcal.Event, zone string) *gcal.Event {
	var start, end *gcal.EventDateTime
	if ev.Start != nil {
		start = &gcal.EventDateTime{Date: ev.Start.Date, DateTime: ev.Start.DateTime, TimeZone: ev.Start.TimeZone}
	}
	if ev.End != nil {
		end = &gcal.EventDateTime{Date: ev.End.Date, DateTime: ev.End.DateTime, TimeZone: ev.End.TimeZone}
	}
	body := &gcal.Event{Summary: ev.Summary, Description: ev.Description, Location: ev.Location, Start: start, End: end,
		Recurrence: ev.Recurrence, Transparency: ev.Transparency, Visibility: ev.Visibility, ColorId: ev.ColorId}
	for _, a := range ev.Attendees {
		if a != nil {
			body.Attendees = append(body.Attendees, &gcal.EventAttendee{Email: a.Email, Optional: a.Optional})
		}
	}
	if len(body.Recurrence) > 0 && ev.Start != nil && ev.Start.DateTime != "" && ev.Start.TimeZone == "" && zone != "" {
		withZone(body, zone)
	}
	return body
}
