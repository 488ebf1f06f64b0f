package calendar

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	gcal "google.golang.org/api/calendar/v3"

	"github.com/gwmcp/gwmcp/internal/tools"
)

// This file holds list_calendars and create_calendar.

type listCalendarsIn struct {
	tools.AccountParam
	MaxResults int    `json:"max_results,omitempty" jsonschema:"How many calendars to return per page, 1 to 250 (default 100)."`
	PageToken  string `json:"page_token,omitempty" jsonschema:"The nextPageToken of a previous call, to get the next page."`
}

// CalendarInfo is one calendar the account can see.
type CalendarInfo struct {
	ID              string `json:"id" jsonschema:"The calendar id; pass it as calendar_id to other calendar tools."`
	Summary         string `json:"summary" jsonschema:"The calendar's name."`
	Description     string `json:"description,omitempty"`
	Primary         bool   `json:"primary" jsonschema:"True for the account's own main calendar (calendar_id 'primary')."`
	TimeZone        string `json:"timeZone" jsonschema:"The calendar's IANA time zone; all-day events follow its days."`
	AccessRole      string `json:"accessRole" jsonschema:"The account's access: owner, writer, reader or freeBusyReader (sees only when it is busy)."`
	BackgroundColor string `json:"backgroundColor,omitempty"`
	ForegroundColor string `json:"foregroundColor,omitempty"`
}

type listCalendarsOut struct {
	Calendars     []CalendarInfo `json:"calendars"`
	Count         int            `json:"count"`
	NextPageToken string         `json:"nextPageToken,omitempty" jsonschema:"Pass as page_token to get more calendars."`
	UserEmail     string         `json:"userEmail" jsonschema:"The Google account that was used."`
}

type createCalendarIn struct {
	tools.AccountParam
	Summary     string `json:"summary" jsonschema:"The name of the new calendar (1 to 255 characters)."`
	Description string `json:"description,omitempty" jsonschema:"What the calendar is for."`
	TimeZone    string `json:"time_zone,omitempty" jsonschema:"The calendar's IANA time zone, e.g. America/New_York, Europe/London or UTC. Default: the account's primary calendar's time zone."`
	Location    string `json:"location,omitempty" jsonschema:"Where the calendar's events happen, e.g. 'Berlin office'."`
}

type createCalendarOut struct {
	Success     bool   `json:"success"`
	CalendarID  string `json:"calendarId" jsonschema:"The new calendar's id, for calendar_id in other tools."`
	Summary     string `json:"summary"`
	Description string `json:"description,omitempty"`
	TimeZone    string `json:"timeZone"`
	Location    string `json:"location,omitempty"`
	HTMLLink    string `json:"htmlLink"`
	UserEmail   string `json:"userEmail"`
	Message     string `json:"message"`
}

func (t *calTools) registerCalendars(r *tools.Registry) {
	addTool(r, t.d, &mcp.Tool{Name: "list_calendars", Title: "List Google Calendars",
		Description: "Lists the calendars the Google account can see: its primary calendar, calendars it owns and calendars shared with it, " +
			"each with its id (pass it as calendar_id to the other calendar tools), time zone and the account's access role. " +
			"Use it to find a calendar's id or time zone before listing or creating events.",
		Annotations: &mcp.ToolAnnotations{Title: "List Google Calendars", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: new(true)},
	}, []string{scopeCalendarListRO}, tools.Core, nil, t.listCalendars)

	addTool(r, t.d, &mcp.Tool{Name: "create_calendar", Title: "Create New Calendar",
		Description: "Creates a new secondary Google Calendar owned by the account, with a name, optional description, location and " +
			"IANA time zone. Returns the new calendar's id for use as calendar_id in the event tools.",
		Annotations: &mcp.ToolAnnotations{Title: "Create New Calendar", DestructiveHint: new(false), OpenWorldHint: new(true)},
	}, []string{scopeCalendar}, tools.Extended, nil, t.createCalendar)
}

func (t *calTools) listCalendars(ctx context.Context, c tools.Call, in listCalendarsIn) (listCalendarsOut, error) {
	size := in.MaxResults
	switch {
	case size == 0:
		size = 100
	case size < 1 || size > 250:
		return listCalendarsOut{}, tools.Errorf("max_results must be between 1 and 250.")
	}
	svc, err := t.d.Clients.Calendar(ctx, c.Account)
	if err != nil {
		return listCalendarsOut{}, err
	}
	call := svc.CalendarList.List().MaxResults(int64(size)).Context(ctx).
		Fields("nextPageToken", "items(id,summary,description,primary,timeZone,accessRole,backgroundColor,foregroundColor)")
	if in.PageToken != "" {
		call = call.PageToken(in.PageToken)
	}
	res, err := call.Do()
	if err != nil {
		return listCalendarsOut{}, fmt.Errorf("listing calendars: %w", err)
	}
	out := listCalendarsOut{Calendars: []CalendarInfo{}, NextPageToken: res.NextPageToken, UserEmail: c.Account}
	for _, e := range res.Items {
		out.Calendars = append(out.Calendars, CalendarInfo{ID: e.Id, Summary: e.Summary, Description: e.Description,
			Primary: e.Primary, TimeZone: e.TimeZone, AccessRole: e.AccessRole, BackgroundColor: e.BackgroundColor,
			ForegroundColor: e.ForegroundColor})
	}
	out.Count = len(out.Calendars)
	return out, nil
}

func (t *calTools) createCalendar(ctx context.Context, c tools.Call, in createCalendarIn) (createCalendarOut, error) {
	summary := strings.TrimSpace(in.Summary)
	if summary == "" || len(summary) > 255 {
		return createCalendarOut{}, tools.Errorf("summary (the calendar's name) is required and must be at most 255 characters.")
	}
	body := &gcal.Calendar{Summary: summary, Description: strings.TrimSpace(in.Description), Location: strings.TrimSpace(in.Location)}
	if _, name, err := optionalZone("time_zone", in.TimeZone); err != nil {
		return createCalendarOut{}, err
	} else if name != "" {
		body.TimeZone = name
	}
	svc, err := t.d.Clients.Calendar(ctx, c.Account)
	if err != nil {
		return createCalendarOut{}, err
	}
	cal, err := svc.Calendars.Insert(body).Context(ctx).Do()
	if err != nil {
		return createCalendarOut{}, fmt.Errorf("creating calendar: %w", err)
	}
	return createCalendarOut{Success: true, CalendarID: cal.Id, Summary: cal.Summary, Description: cal.Description,
		TimeZone: cal.TimeZone, Location: cal.Location,
		HTMLLink:  "https://calendar.google.com/calendar/u/0?cid=" + url.QueryEscape(cal.Id),
		UserEmail: c.Account,
		Message:   fmt.Sprintf("Created calendar %q (id %s, time zone %s).", cal.Summary, cal.Id, cal.TimeZone)}, nil
}
