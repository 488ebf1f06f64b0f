package sandbox

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"time"

	gcal "google.golang.org/api/calendar/v3"
)

// This file reads events: events.list, events.get and events.instances, with the
// expansion of recurring events into instances and the rendering of the Event resource.

// calHorizon is how far past the window start (or now) an endless recurrence is expanded
// when the request gives no timeMax.
const calHorizon = 2 * 366 * 24 * time.Hour

// calItem is one event as a list shows it: a stored event, or an instance of a recurring
// event generated for start (inst).
type calItem struct {
	e    *calEvent
	inst *time.Time
}

// span returns the item's start and end instants; all-day times begin at midnight in calLoc.
func (it calItem) span(calLoc *time.Location) (time.Time, time.Time) {
	s, e := it.e.start.at(calLoc), it.e.end.at(calLoc)
	if it.inst == nil {
		return s, e
	}
	if it.e.start.allDay {
		days := int(it.e.end.date.Sub(it.e.start.date).Hours() / 24)
		return *it.inst, it.inst.AddDate(0, 0, days)
	}
	return *it.inst, it.inst.Add(e.Sub(s))
}

// dtstart is the first start of a recurring event, in the location its rules run in.
func (e *calEvent) dtstart(calLoc *time.Location) time.Time {
	if e.start.allDay {
		return e.start.at(calLoc)
	}
	loc := e.start.loc
	if loc == nil {
		loc = calLoc
	}
	return e.start.t.In(loc)
}

// duration is the length of a timed event.
func (e *calEvent) duration(calLoc *time.Location) time.Duration {
	return e.end.at(calLoc).Sub(e.start.at(calLoc))
}

// instanceID names the instance of a recurring event starting at t, as Google does.
func calInstanceID(e *calEvent, t time.Time) string {
	if e.start.allDay {
		return e.ev.Id + "_" + t.Format("20060102")
	}
	return e.ev.Id + "_" + t.UTC().Format("20060102T150405Z")
}

// occurrences returns the instance starts of recurring event e that may overlap
// [from, to), leaving out those replaced by exceptions on the same calendar.
func (cs *calendarService) occurrences(e *calEvent, calLoc *time.Location, from, to time.Time) []time.Time {
	if e.rec == nil {
		return nil
	}
	if to.IsZero() {
		base := cs.sb.now()
		if from.After(base) {
			base = from
		}
		to = base.Add(calHorizon)
	}
	if !from.IsZero() {
		from = from.Add(-e.duration(calLoc))
	}
	starts := e.rec.expand(e.dtstart(calLoc), from, to)
	return slices.DeleteFunc(starts, func(t time.Time) bool {
		_, replaced := cs.events[e.calID][calInstanceID(e, t)]
		return replaced
	})
}

// eventsOn returns the events a calendar shows: those living on it and, on a primary
// calendar, the events its owner is invited to. Callers hold cs.mu.
func (cs *calendarService) eventsOn(c *calCalendar) []*calEvent {
	var out []*calEvent
	for _, e := range cs.events[c.id] {
		out = append(out, e)
	}
	if !c.primary {
		return out
	}
	for calID, evs := range cs.events {
		if calID == c.id {
			continue
		}
		for _, e := range evs {
			if _, own := cs.events[c.id][e.ev.Id]; !own && e.attendee(c.id) != nil {
				out = append(out, e)
			}
		}
	}
	return out
}

// attendee returns the attendee entry for an email, or nil.
func (e *calEvent) attendee(email string) *gcal.EventAttendee {
	for _, a := range e.ev.Attendees {
		if strings.EqualFold(a.Email, email) {
			return a
		}
	}
	return nil
}

// lookup finds an event by id on a calendar: a stored event (its own or an invitation), or
// a generated instance of a recurring event (id masterID_20260309T080000Z). Callers hold
// cs.mu.
func (cs *calendarService) lookup(c *calCalendar, id string) (calItem, bool) {
	if e := cs.events[c.id][id]; e != nil {
		return calItem{e: e}, true
	}
	for _, e := range cs.eventsOn(c) {
		if e.ev.Id == id {
			return calItem{e: e}, true
		}
	}
	masterID, suffix, ok := cutLast(id, "_")
	if !ok {
		return calItem{}, false
	}
	master, found := cs.lookup(c, masterID)
	if !found || master.inst != nil || master.e.rec == nil {
		return calItem{}, false
	}
	e := master.e
	var want time.Time
	var err error
	if e.start.allDay {
		d, perr := time.Parse("20060102", suffix)
		err = perr
		want = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, cs.calendars[e.calID].loc)
	} else {
		want, err = time.Parse("20060102T150405Z", suffix)
	}
	if err != nil {
		return calItem{}, false
	}
	calLoc := cs.calendars[e.calID].loc
	for _, t := range e.rec.expand(e.dtstart(calLoc), want, want.Add(time.Second)) {
		if t.Equal(want) {
			return calItem{e: e, inst: &t}, true
		}
	}
	return calItem{}, false
}

func cutLast(s, sep string) (string, string, bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// calTimestamp formats created/updated as Google does (UTC, milliseconds).
func calTimestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// render returns the Event resource of an item as calendar c shows it to caller, with
// date-times in out's offset. A freeBusyReader sees only when the event is.
func (cs *calendarService) render(it calItem, c *calCalendar, role, caller string, out *time.Location) *gcal.Event {
	e := it.e
	ev := e.ev // shallow copy; slices and pointers that change are copied below
	ev.Kind, ev.Etag = "calendar#event", e.etag()
	ev.Created, ev.Updated = calTimestamp(e.created), calTimestamp(e.updated)
	ev.Start, ev.End = e.start.render(out), e.end.render(out)
	if e.origStart != nil {
		ev.OriginalStartTime = e.origStart.render(out)
	}
	if it.inst != nil {
		s, en := it.span(cs.calendars[e.calID].loc)
		ev.Id = calInstanceID(e, *it.inst)
		ev.Etag = etag([]any{"instance", e.etag(), ev.Id})
		ev.RecurringEventId = e.ev.Id
		ev.Recurrence = nil
		ev.Start, ev.End = e.start.shift(s).render(out), e.end.shift(en).render(out)
		ev.OriginalStartTime = ev.Start
	}
	ev.HtmlLink = "https://www.google.com/calendar/event?eid=" +
		base64.RawURLEncoding.EncodeToString([]byte(ev.Id+" "+c.id))
	if calRoleRank[role] < calRoleRank[calRoleReader] || role == calRoleReader && e.ev.Visibility == "private" {
		return &gcal.Event{Kind: ev.Kind, Etag: ev.Etag, Id: ev.Id, Status: ev.Status, Start: ev.Start,
			End: ev.End, RecurringEventId: ev.RecurringEventId, OriginalStartTime: ev.OriginalStartTime,
			Transparency: ev.Transparency, Visibility: ev.Visibility}
	}
	if ev.Organizer != nil {
		o := *ev.Organizer
		o.Self = strings.EqualFold(o.Email, c.id)
		ev.Organizer = &o
	}
	if ev.Creator != nil {
		cr := *ev.Creator
		cr.Self = strings.EqualFold(cr.Email, caller)
		ev.Creator = &cr
	}
	ev.Attendees = nil
	for _, a := range e.ev.Attendees {
		cp := *a
		cp.Self = strings.EqualFold(a.Email, c.id)
		ev.Attendees = append(ev.Attendees, &cp)
	}
	if ev.Reminders == nil {
		ev.Reminders = &gcal.EventReminders{UseDefault: true}
	}
	rem := *ev.Reminders
	rem.ForceSendFields = []string{"UseDefault"}
	ev.Reminders = &rem
	ev.Recurrence = slices.Clone(ev.Recurrence)
	return &ev
}

// calListQuery is the parsed query of events.list and events.instances.
type calListQuery struct {
	timeMin, timeMax time.Time
	updatedMin       time.Time
	out              *time.Location
	single           bool
	orderBy          string
	q                []string
	showDeleted      bool
	size             int
	pageToken        string
	iCalUID          string
}

func (cs *calendarService) parseListQuery(r *http.Request, c *calCalendar) (calListQuery, *calErr) {
	v := r.URL.Query()
	lq := calListQuery{out: c.loc, orderBy: v.Get("orderBy"), pageToken: v.Get("pageToken"), iCalUID: v.Get("iCalUID")}
	var err *calErr
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"timeMin", &lq.timeMin}, {"timeMax", &lq.timeMax}, {"updatedMin", &lq.updatedMin}} {
		if s := v.Get(p.name); s != "" {
			if *p.dst, err = calParseQueryTime(s, p.name); err != nil {
				return lq, err
			}
		}
	}
	if !lq.timeMin.IsZero() && !lq.timeMax.IsZero() && !lq.timeMax.After(lq.timeMin) {
		return lq, calErrTimeRangeEmpty("timeMax")
	}
	if tz := v.Get("timeZone"); tz != "" {
		loc, lerr := calLoadLocation(tz)
		if lerr != nil {
			return lq, &calErr{code: 400, reason: "invalid", message: "Invalid time zone definition.", location: "timeZone"}
		}
		lq.out = loc
	}
	if lq.single, err = calBoolParam(r, "singleEvents"); err != nil {
		return lq, err
	}
	if lq.showDeleted, err = calBoolParam(r, "showDeleted"); err != nil {
		return lq, err
	}
	if lq.size, err = calIntParam(r, "maxResults", 250); err != nil {
		return lq, err
	}
	switch lq.orderBy {
	case "", "updated":
	case "startTime":
		if !lq.single {
			return lq, calErrBadRequest("The requested ordering is not available for the particular query.")
		}
	default:
		return lq, &calErr{code: 400, reason: "invalidParameter", message: "Invalid value for: orderBy", location: "orderBy"}
	}
	lq.q = strings.Fields(strings.ToLower(v.Get("q")))
	return lq, nil
}

// overlaps reports whether [s, e) meets the window; a zero-length event at timeMin counts.
func (lq calListQuery) overlaps(s, e time.Time) bool {
	if !lq.timeMax.IsZero() && !s.Before(lq.timeMax) {
		return false
	}
	return lq.timeMin.IsZero() || e.After(lq.timeMin) || s.Equal(e) && !s.Before(lq.timeMin)
}

// matches reports whether every word of q occurs in the event's text.
func (lq calListQuery) matches(e *calEvent) bool {
	if len(lq.q) == 0 {
		return true
	}
	parts := []string{e.ev.Summary, e.ev.Description, e.ev.Location}
	if e.ev.Organizer != nil {
		parts = append(parts, e.ev.Organizer.Email, e.ev.Organizer.DisplayName)
	}
	for _, a := range e.ev.Attendees {
		parts = append(parts, a.Email, a.DisplayName)
	}
	text := strings.ToLower(strings.Join(parts, " "))
	for _, w := range lq.q {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}

// collect returns the items of a calendar that answer the query. Callers hold cs.mu.
func (cs *calendarService) collect(c *calCalendar, lq calListQuery, only *calEvent) []calItem {
	var items []calItem
	for _, e := range cs.eventsOn(c) {
		if only != nil && e != only && e.ev.RecurringEventId != only.ev.Id {
			continue
		}
		if only != nil && e.calID != only.calID {
			continue
		}
		if lq.iCalUID != "" && e.ev.ICalUID != lq.iCalUID || !lq.updatedMin.IsZero() && e.updated.Before(lq.updatedMin) {
			continue
		}
		if e.ev.Status == "cancelled" && !lq.showDeleted || !lq.matches(e) {
			continue
		}
		if e.ev.RecurringEventId != "" {
			if m := cs.events[e.calID][e.ev.RecurringEventId]; m != nil && m.ev.Status == "cancelled" && !lq.showDeleted {
				continue
			}
		}
		calLoc := cs.calendars[e.calID].loc
		if e.rec == nil || only != nil && e != only {
			if s, en := (calItem{e: e}).span(calLoc); lq.overlaps(s, en) {
				items = append(items, calItem{e: e})
			}
			continue
		}
		starts := cs.occurrences(e, calLoc, lq.timeMin, lq.timeMax)
		if !lq.single && only == nil {
			for _, t := range starts {
				if s, en := (calItem{e: e, inst: &t}).span(calLoc); lq.overlaps(s, en) {
					items = append(items, calItem{e: e})
					break
				}
			}
			continue
		}
		if e.ev.Status == "cancelled" {
			continue
		}
		for _, t := range starts {
			if s, en := (calItem{e: e, inst: &t}).span(calLoc); lq.overlaps(s, en) {
				items = append(items, calItem{e: e, inst: &t})
			}
		}
	}
	slices.SortFunc(items, func(a, b calItem) int {
		if lq.orderBy == "updated" {
			if d := a.e.updated.Compare(b.e.updated); d != 0 {
				return d
			}
		}
		as, _ := a.span(c.loc)
		bs, _ := b.span(c.loc)
		if d := as.Compare(bs); d != 0 {
			return d
		}
		return strings.Compare(a.e.ev.Id, b.e.ev.Id)
	})
	return items
}

// writeEvents answers a page of items as an Events collection.
func (cs *calendarService) writeEvents(w http.ResponseWriter, c *calCalendar, role, caller string, lq calListQuery, items []calItem) *calErr {
	start, end, next, ok := paginate(len(items), lq.pageToken, lq.size, 250, 2500)
	if !ok {
		return &calErr{code: 400, reason: "invalid", message: "Invalid page token value.", location: "pageToken"}
	}
	out := &gcal.Events{Kind: "calendar#events", Summary: c.summary, Description: c.description,
		TimeZone: c.timeZone, AccessRole: role, DefaultReminders: calDefaultReminders(role),
		NextPageToken: next, Items: []*gcal.Event{}, ForceSendFields: []string{"Items", "DefaultReminders"}}
	if out.DefaultReminders == nil {
		out.DefaultReminders = []*gcal.EventReminder{}
	}
	updated := time.Unix(0, 0)
	for _, e := range cs.events[c.id] {
		if e.updated.After(updated) {
			updated = e.updated
		}
	}
	out.Updated = calTimestamp(updated)
	for _, it := range items[start:end] {
		out.Items = append(out.Items, cs.render(it, c, role, caller, lq.out))
	}
	out.Etag = etag([]any{"events", c.id, out.Updated, start, end, len(items)})
	writeAPIJSON(w, http.StatusOK, out)
	return nil
}

func (cs *calendarService) eventsList(w http.ResponseWriter, r *http.Request, caller string) *calErr {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, role := cs.resolve(caller, r.PathValue("calendarId"))
	if c == nil || role == calRoleNone {
		return calErrNotFound()
	}
	lq, err := cs.parseListQuery(r, c)
	if err != nil {
		return err
	}
	items := cs.collect(c, lq, nil)
	if len(lq.q) > 0 && calRoleRank[role] < calRoleRank[calRoleReader] {
		items = nil // a free/busy view has no text to search
	}
	return cs.writeEvents(w, c, role, caller, lq, items)
}

func (cs *calendarService) eventsInstances(w http.ResponseWriter, r *http.Request, caller string) *calErr {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, role := cs.resolve(caller, r.PathValue("calendarId"))
	if c == nil || role == calRoleNone {
		return calErrNotFound()
	}
	it, ok := cs.lookup(c, r.PathValue("eventId"))
	if !ok || it.inst != nil {
		return calErrNotFound()
	}
	lq, err := cs.parseListQuery(r, c)
	if err != nil {
		return err
	}
	lq.single, lq.q, lq.orderBy, lq.iCalUID, lq.updatedMin = true, nil, "", "", time.Time{}
	if o := r.URL.Query().Get("originalStart"); o != "" {
		t, perr := calParseQueryTime(o, "originalStart")
		if perr != nil {
			return perr
		}
		var items []calItem
		for _, x := range cs.collect(c, lq, it.e) {
			if s, _ := x.span(c.loc); x.inst != nil && s.Equal(t) || x.e.origStart != nil && x.e.origStart.at(c.loc).Equal(t) {
				items = append(items, x)
			}
		}
		return cs.writeEvents(w, c, role, caller, lq, items)
	}
	return cs.writeEvents(w, c, role, caller, lq, cs.collect(c, lq, it.e))
}

func (cs *calendarService) eventsGet(w http.ResponseWriter, r *http.Request, caller string) *calErr {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, role := cs.resolve(caller, r.PathValue("calendarId"))
	if c == nil || role == calRoleNone {
		return calErrNotFound()
	}
	it, ok := cs.lookup(c, r.PathValue("eventId"))
	if !ok {
		return calErrNotFound()
	}
	out := c.loc
	if tz := r.URL.Query().Get("timeZone"); tz != "" {
		loc, err := calLoadLocation(tz)
		if err != nil {
			return &calErr{code: 400, reason: "invalid", message: "Invalid time zone definition.", location: "timeZone"}
		}
		out = loc
	}
	ev := cs.render(it, c, role, caller, out)
	if m := r.Header.Get("If-None-Match"); m != "" && m == ev.Etag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	writeAPIJSON(w, http.StatusOK, ev)
	return nil
}
