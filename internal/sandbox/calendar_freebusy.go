package sandbox

import (
	"net/http"
	"slices"
	"time"

	gcal "google.golang.org/api/calendar/v3"
)

// This file serves freebusy.query: the busy blocks of calendars the caller may see at least
// free/busy of, from opaque, non-cancelled events (recurring ones expanded, invitations the
// owner declined left out), merged and clipped to the window.

// calMaxFreeBusyCalendars is Google's limit on the calendars of one query.
const calMaxFreeBusyCalendars = 50

func (cs *calendarService) freeBusy(w http.ResponseWriter, r *http.Request, caller string) *calErr {
	var req gcal.FreeBusyRequest
	if err := calReadJSON(w, r, &req); err != nil {
		return err
	}
	if req.TimeMin == "" {
		return &calErr{code: 400, reason: "required", message: "Missing timeMin.", location: "timeMin"}
	}
	if req.TimeMax == "" {
		return &calErr{code: 400, reason: "required", message: "Missing timeMax.", location: "timeMax"}
	}
	from, err := calParseQueryTime(req.TimeMin, "timeMin")
	if err != nil {
		return err
	}
	to, err := calParseQueryTime(req.TimeMax, "timeMax")
	if err != nil {
		return err
	}
	if !to.After(from) {
		return calErrTimeRangeEmpty("timeMax")
	}
	out := time.UTC
	if req.TimeZone != "" {
		loc, lerr := calLoadLocation(req.TimeZone)
		if lerr != nil {
			return calErrInvalid("Invalid time zone definition.")
		}
		out = loc
	}
	if len(req.Items) > calMaxFreeBusyCalendars {
		return &calErr{code: 400, domain: "calendar", reason: "tooManyCalendarsRequested",
			message: "The number of calendars requested is too large."}
	}
	resp := &gcal.FreeBusyResponse{Kind: "calendar#freeBusy", TimeMin: from.In(out).Format(time.RFC3339),
		TimeMax: to.In(out).Format(time.RFC3339), Calendars: map[string]gcal.FreeBusyCalendar{},
		ForceSendFields: []string{"Calendars"}}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for _, item := range req.Items {
		if item == nil || item.Id == "" {
			continue
		}
		c, role := cs.resolve(caller, item.Id)
		if c == nil || role == calRoleNone {
			resp.Calendars[item.Id] = gcal.FreeBusyCalendar{Busy: []*gcal.TimePeriod{},
				Errors: []*gcal.Error{{Domain: "global", Reason: "notFound"}}, ForceSendFields: []string{"Busy"}}
			continue
		}
		busy := []*gcal.TimePeriod{}
		for _, p := range cs.busy(c, from, to) {
			busy = append(busy, &gcal.TimePeriod{Start: p[0].In(out).Format(time.RFC3339), End: p[1].In(out).Format(time.RFC3339)})
		}
		resp.Calendars[item.Id] = gcal.FreeBusyCalendar{Busy: busy, ForceSendFields: []string{"Busy"}}
	}
	writeAPIJSON(w, http.StatusOK, resp)
	return nil
}

// busy returns the merged busy periods of a calendar within [from, to). Callers hold cs.mu.
func (cs *calendarService) busy(c *calCalendar, from, to time.Time) [][2]time.Time {
	lq := calListQuery{timeMin: from, timeMax: to, single: true}
	var periods [][2]time.Time
	for _, it := range cs.collect(c, lq, nil) {
		e := it.e
		if e.ev.Transparency == "transparent" || e.ev.Status == "cancelled" {
			continue
		}
		if a := e.attendee(c.id); a != nil && a.ResponseStatus == "declined" {
			continue
		}
		s, en := it.span(cs.calendars[e.calID].loc)
		s, en = calMaxTime(s, from), calMinTime(en, to)
		if en.After(s) {
			periods = append(periods, [2]time.Time{s, en})
		}
	}
	slices.SortFunc(periods, func(a, b [2]time.Time) int { return a[0].Compare(b[0]) })
	var merged [][2]time.Time
	for _, p := range periods {
		if n := len(merged); n > 0 && !p[0].After(merged[n-1][1]) {
			merged[n-1][1] = calMaxTime(merged[n-1][1], p[1])
			continue
		}
		merged = append(merged, p)
	}
	return merged
}

func calMaxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func calMinTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
