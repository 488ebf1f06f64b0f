package calendar

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	gcal "google.golang.org/api/calendar/v3"

	"github.com/gwmcp/gwmcp/internal/tools"
	"github.com/gwmcp/gwmcp/internal/workspace"
)

// This file holds query_freebusy (the Python server has no free/busy tool; the name follows
// the Calendar API's freebusy.query).

// maxFreeBusyCalendars is Google's limit on the calendars of one query.
const maxFreeBusyCalendars = 50

type freeBusyIn struct {
	tools.AccountParam
	TimeMin     string   `json:"time_min" jsonschema:"Start of the window: RFC 3339 with offset, a date-time without offset together with timezone, or a date (YYYY-MM-DD, midnight)."`
	TimeMax     string   `json:"time_max" jsonschema:"End of the window (exclusive), same forms."`
	CalendarIDs []string `json:"calendar_ids,omitempty" jsonschema:"Calendars to check: 'primary', calendar ids from list_calendars, or people's email addresses (their primary calendars, if shared with you at least as free/busy). Default: ['primary']. At most 50."`
	TimeZone    string   `json:"timezone,omitempty" jsonschema:"IANA time zone in which to show the busy blocks (default UTC); also completes time_min/time_max given without offset or as dates."`
}

// Block is a span of time.
type Block struct {
	Start    string `json:"start" jsonschema:"RFC 3339, in the answer's time zone."`
	End      string `json:"end" jsonschema:"RFC 3339, in the answer's time zone (exclusive)."`
	StartUTC string `json:"startUtc"`
	EndUTC   string `json:"endUtc"`
}

type calendarBusy struct {
	CalendarID string   `json:"calendarId"`
	Busy       []Block  `json:"busy" jsonschema:"Merged busy blocks (recurring events included, free/transparent and declined events left out)."`
	Errors     []string `json:"errors,omitempty" jsonschema:"Why this calendar could not be read (e.g. notFound: it does not exist or is not shared with you)."`
}

type freeBusyOut struct {
	TimeMin   string         `json:"timeMin"`
	TimeMax   string         `json:"timeMax"`
	TimeZone  string         `json:"timeZone" jsonschema:"The time zone of start and end in the blocks."`
	Calendars []calendarBusy `json:"calendars"`
	Free      []Block        `json:"free" jsonschema:"Blocks of the window in which every readable calendar is free."`
	UserEmail string         `json:"userEmail"`
}

func (t *calTools) registerFreeBusy(r *tools.Registry) {
	addTool(r, t.d, &mcp.Tool{Name: "query_freebusy", Title: "Query Free/Busy",
		Description: "Shows when calendars are busy in a time window, and the blocks when all of them are free: use it to find a " +
			"meeting time. Works on your calendars and on other people's calendars shared with you (even free/busy only); recurring " +
			"events are expanded. Times are shown in timezone (default UTC) and in UTC.",
		Annotations: &mcp.ToolAnnotations{Title: "Query Free/Busy", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: new(true)},
	}, []string{scopeCalendarRO}, tools.Extended, nil, t.freeBusy)
}

func (t *calTools) freeBusy(ctx context.Context, c tools.Call, in freeBusyIn) (freeBusyOut, error) {
	if strings.TrimSpace(in.TimeMin) == "" || strings.TrimSpace(in.TimeMax) == "" {
		return freeBusyOut{}, tools.Errorf("time_min and time_max are both required.")
	}
	var ids []string
	for _, id := range in.CalendarIDs {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		ids = []string{"primary"}
	}
	if len(ids) > maxFreeBusyCalendars {
		return freeBusyOut{}, tools.Errorf(fmt.Sprintf("calendar_ids names %d calendars; query at most %d at once.", len(ids), maxFreeBusyCalendars))
	}
	loc, tz, err := optionalZone("timezone", in.TimeZone)
	if err != nil {
		return freeBusyOut{}, err
	}
	svc, err := t.d.Clients.Calendar(ctx, c.Account)
	if err != nil {
		return freeBusyOut{}, err
	}
	from, to, err := t.window(ctx, svc, ids[0], "timezone", in.TimeZone, in.TimeMin, in.TimeMax, 0)
	if err != nil {
		return freeBusyOut{}, err
	}
	if loc == nil {
		loc, tz = time.UTC, "UTC"
	}
	req := &gcal.FreeBusyRequest{TimeMin: from.Format(time.RFC3339), TimeMax: to.Format(time.RFC3339), TimeZone: tz}
	for _, id := range ids {
		req.Items = append(req.Items, &gcal.FreeBusyRequestItem{Id: id})
	}
	// A query reads only: safe to send again after a quota error.
	res, err := svc.Freebusy.Query(req).Context(workspace.MarkIdempotent(ctx)).Do()
	if err != nil {
		return freeBusyOut{}, fmt.Errorf("querying free/busy: %w", err)
	}
	out := freeBusyOut{TimeMin: from.In(loc).Format(time.RFC3339), TimeMax: to.In(loc).Format(time.RFC3339), TimeZone: tz,
		Calendars: []calendarBusy{}, Free: []Block{}, UserEmail: c.Account}
	var all [][2]time.Time
	for _, id := range ids {
		fc, ok := res.Calendars[id]
		cb := calendarBusy{CalendarID: id, Busy: []Block{}}
		if !ok {
			cb.Errors = append(cb.Errors, "notFound: Google returned nothing for this calendar")
		}
		for _, e := range fc.Errors {
			if e != nil {
				cb.Errors = append(cb.Errors, e.Reason)
			}
		}
		for _, p := range fc.Busy {
			s, serr := time.Parse(time.RFC3339, p.Start)
			e, eerr := time.Parse(time.RFC3339, p.End)
			if serr != nil || eerr != nil {
				continue
			}
			all = append(all, [2]time.Time{s, e})
			cb.Busy = append(cb.Busy, block(s, e, loc))
		}
		out.Calendars = append(out.Calendars, cb)
	}
	for _, f := range freeGaps(all, from, to) {
		out.Free = append(out.Free, block(f[0], f[1], loc))
	}
	return out, nil
}

func block(s, e time.Time, loc *time.Location) Block {
	return Block{Start: s.In(loc).Format(time.RFC3339), End: e.In(loc).Format(time.RFC3339),
		StartUTC: s.UTC().Format(time.RFC3339), EndUTC: e.UTC().Format(time.RFC3339)}
}

// freeGaps returns the parts of [from, to) no busy span covers.
func freeGaps(busy [][2]time.Time, from, to time.Time) [][2]time.Time {
	slices.SortFunc(busy, func(a, b [2]time.Time) int { return a[0].Compare(b[0]) })
	var out [][2]time.Time
	cur := from
	for _, b := range busy {
		if b[0].After(cur) {
			out = append(out, [2]time.Time{cur, minTime(b[0], to)})
		}
		if b[1].After(cur) {
			cur = b[1]
		}
		if !cur.Before(to) {
			return out
		}
	}
	if cur.Before(to) {
		out = append(out, [2]time.Time{cur, to})
	}
	return out
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
