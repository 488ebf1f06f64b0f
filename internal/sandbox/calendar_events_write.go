package sandbox

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	gcal "google.golang.org/api/calendar/v3"
)

// This file changes events: events.insert, patch, update, delete, move and quickAdd. Only
// the organizer's calendar changes an event; the copies attendees see are read-only here.

// etag of an item: a generated instance has its own, derived from its recurring event's.
func (it calItem) etag() string {
	if it.inst == nil {
		return it.e.etag()
	}
	return etag([]any{"instance", it.e.etag(), calInstanceID(it.e, *it.inst)})
}

// stored is the EventDateTime kept in the resource: the date, or the date-time in its own
// time zone (UTC when it has none).
func (w calWhen) stored() *gcal.EventDateTime {
	if w.allDay {
		return &gcal.EventDateTime{Date: w.date.Format(time.DateOnly)}
	}
	loc := w.loc
	if loc == nil {
		loc = time.UTC
	}
	return &gcal.EventDateTime{DateTime: w.t.In(loc).Format(time.RFC3339), TimeZone: w.tz}
}

// writable resolves a calendar the caller may change events on. Callers hold cs.mu.
func (cs *calendarService) writable(caller, calendarID string) (*calCalendar, *calErr) {
	c, role := cs.resolve(caller, calendarID)
	switch {
	case c == nil || role == calRoleNone:
		return nil, calErrNotFound()
	case calRoleRank[role] < calRoleRank[calRoleWriter]:
		return nil, calErrWriter()
	}
	return c, nil
}

// person names an account for organizer and creator fields.
func (cs *calendarService) person(email string) string {
	if a, ok := cs.sb.LookupAccount(email); ok {
		return a.Name
	}
	return ""
}

func (cs *calendarService) organizerOf(c *calCalendar) *gcal.EventOrganizer {
	if c.primary {
		return &gcal.EventOrganizer{Email: c.id, DisplayName: cs.person(c.owner)}
	}
	return &gcal.EventOrganizer{Email: c.id, DisplayName: c.summary}
}

var (
	calStatuses     = []string{"", "confirmed", "tentative", "cancelled"}
	calTransparency = []string{"", "opaque", "transparent"}
	calVisibility   = []string{"", "default", "public", "private", "confidential"}
	calEventTypes   = []string{"", "default", "outOfOffice", "focusTime", "workingLocation"}
	calResponses    = []string{"", "needsAction", "declined", "tentative", "accepted"}
)

// build checks a client Event for calendar c and returns it in stored form; base is the
// event it replaces (nil on insert), whose server-managed fields it keeps.
func (cs *calendarService) build(body *gcal.Event, c *calCalendar, caller string, base *calEvent) (*calEvent, *calErr) {
	start, end, err := calParseSpan(body.Start, body.End)
	if err != nil {
		return nil, err
	}
	for _, chk := range []struct {
		v, name string
		ok      []string
	}{{body.Status, "status", calStatuses}, {body.Transparency, "transparency", calTransparency},
		{body.Visibility, "visibility", calVisibility}, {body.EventType, "eventType", calEventTypes}} {
		if !slices.Contains(chk.ok, chk.v) {
			return nil, calErrInvalid("Invalid value for: " + chk.name)
		}
	}
	e := &calEvent{ev: *body, calID: c.id, start: start, end: end}
	if len(body.Recurrence) > 0 {
		if base != nil && base.origStart != nil {
			return nil, calErrInvalid("Invalid recurrence rule: an instance cannot recur.")
		}
		loc := c.loc
		if !start.allDay {
			if start.loc == nil {
				return nil, calErrRequired("Missing time zone definition for start time.")
			}
			loc = start.loc
		}
		rec, rerr := calParseRecurrence(body.Recurrence, loc)
		if rerr != nil {
			return nil, calErrInvalid("Invalid recurrence rule.")
		}
		e.rec = rec
	}
	e.ev.Attendees = nil
	for _, a := range body.Attendees {
		if a == nil || a.Email == "" {
			return nil, calErrRequired("Missing attendee email.")
		}
		if !strings.Contains(a.Email, "@") || strings.ContainsAny(a.Email, " <>,") {
			return nil, calErrInvalid("Invalid attendee email.")
		}
		if !slices.Contains(calResponses, a.ResponseStatus) {
			return nil, calErrInvalid("Invalid value for: attendees.responseStatus")
		}
		cp := *a
		cp.Self, cp.Organizer = false, strings.EqualFold(a.Email, c.id)
		if cp.ResponseStatus == "" {
			cp.ResponseStatus = "needsAction"
		}
		e.ev.Attendees = append(e.ev.Attendees, &cp)
	}
	if rm := body.Reminders; rm != nil {
		if rm.UseDefault && len(rm.Overrides) > 0 {
			return nil, &calErr{code: 400, domain: "calendar", reason: "cannotUseDefaultRemindersAndSpecifyOverride",
				message: "Cannot specify both default reminders and overrides at the same time."}
		}
		for _, o := range rm.Overrides {
			if o == nil || (o.Method != "email" && o.Method != "popup") || o.Minutes < 0 || o.Minutes > 40320 {
				return nil, calErrInvalid("Invalid value for: reminders.overrides")
			}
		}
	}
	if e.ev.Status == "" {
		e.ev.Status = "confirmed"
	}
	if e.ev.EventType == "" {
		e.ev.EventType = "default"
	}
	if e.ev.Reminders == nil {
		e.ev.Reminders = &gcal.EventReminders{UseDefault: true}
	}
	e.ev.Start, e.ev.End = start.stored(), end.stored()
	e.ev.Kind, e.ev.Etag, e.ev.HtmlLink, e.ev.Created, e.ev.Updated = "", "", "", "", ""
	e.ev.OriginalStartTime = nil
	now := cs.sb.now()
	e.updated = now
	if base == nil {
		e.created = now
		e.ev.Organizer = cs.organizerOf(c)
		e.ev.Creator = &gcal.EventCreator{Email: caller, DisplayName: cs.person(caller)}
		e.ev.RecurringEventId = ""
		return e, nil
	}
	e.created, e.rev = base.created, base.rev+1
	e.origStart = base.origStart
	e.ev.Id, e.ev.ICalUID = base.ev.Id, base.ev.ICalUID
	e.ev.Organizer, e.ev.Creator, e.ev.RecurringEventId = base.ev.Organizer, base.ev.Creator, base.ev.RecurringEventId
	e.ev.Sequence = max(e.ev.Sequence, base.ev.Sequence)
	if !slices.Equal(e.ev.Recurrence, base.ev.Recurrence) || !e.start.at(c.loc).Equal(base.start.at(c.loc)) ||
		!e.end.at(c.loc).Equal(base.end.at(c.loc)) {
		e.ev.Sequence = max(e.ev.Sequence, base.ev.Sequence+1)
	}
	return e, nil
}

// materialize turns a generated instance into a stored exception of its recurring event.
func (cs *calendarService) materialize(it calItem) *calEvent {
	m := it.e
	s, en := it.span(cs.calendars[m.calID].loc)
	x := &calEvent{ev: m.ev, calID: m.calID, start: m.start.shift(s), end: m.end.shift(en),
		created: m.created, updated: m.updated, rev: m.rev}
	orig := x.start
	x.origStart = &orig
	x.ev.Id = calInstanceID(m, *it.inst)
	x.ev.RecurringEventId = m.ev.Id
	x.ev.Recurrence = nil
	x.ev.Start, x.ev.End = x.start.stored(), x.end.stored()
	x.ev.Attendees = nil
	for _, a := range m.ev.Attendees {
		cp := *a
		x.ev.Attendees = append(x.ev.Attendees, &cp)
	}
	return x
}

// target finds the event a write names on a calendar the caller may write to, checking
// If-Match. Callers hold cs.mu.
func (cs *calendarService) target(r *http.Request, caller string) (*calCalendar, calItem, *calErr) {
	c, err := cs.writable(caller, r.PathValue("calendarId"))
	if err != nil {
		return nil, calItem{}, err
	}
	it, ok := cs.lookup(c, r.PathValue("eventId"))
	switch {
	case !ok:
		return nil, calItem{}, calErrNotFound()
	case it.e.calID != c.id:
		return nil, calItem{}, calErrNonOrganizer()
	}
	if m := r.Header.Get("If-Match"); m != "" && m != "*" && m != it.etag() {
		return nil, calItem{}, calErrPrecondition()
	}
	return c, it, nil
}

// store saves e on its calendar and answers it.
func (cs *calendarService) store(w http.ResponseWriter, e *calEvent, c *calCalendar, caller string) *calErr {
	cs.events[c.id][e.ev.Id] = e
	writeAPIJSON(w, http.StatusOK, cs.render(calItem{e: e}, c, calRoleOwner, caller, c.loc))
	return nil
}

func calCheckSendUpdates(r *http.Request) *calErr {
	switch r.URL.Query().Get("sendUpdates") {
	case "", "all", "externalOnly", "none":
		return nil
	}
	return &calErr{code: 400, reason: "invalidParameter", message: "Invalid value for: sendUpdates", location: "sendUpdates"}
}

func (cs *calendarService) eventsInsert(w http.ResponseWriter, r *http.Request, caller string) *calErr {
	if err := calCheckSendUpdates(r); err != nil {
		return err
	}
	var body gcal.Event
	if err := calReadJSON(w, r, &body); err != nil {
		return err
	}
	if body.Id != "" && !calValidEventID(body.Id) {
		return calErrInvalid("Invalid resource id value.")
	}
	id := body.Id
	if id == "" {
		id = cs.sb.newCalID()
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, err := cs.writable(caller, r.PathValue("calendarId"))
	if err != nil {
		return err
	}
	if _, dup := cs.events[c.id][id]; dup {
		return &calErr{code: 409, reason: "duplicate", message: "The requested identifier already exists."}
	}
	e, err := cs.build(&body, c, caller, nil)
	if err != nil {
		return err
	}
	e.ev.Id = id
	if e.ev.ICalUID == "" {
		e.ev.ICalUID = id + "@google.com"
	}
	return cs.store(w, e, c, caller)
}

// calReadOnlyFields are fields of the Event resource a patch cannot change.
var calReadOnlyFields = []string{"id", "kind", "etag", "created", "updated", "creator", "organizer",
	"htmlLink", "iCalUID", "recurringEventId", "originalStartTime", "hangoutLink"}

// calMerge applies a JSON merge patch as Google's patch semantics do: objects merge, arrays
// and start/end replace, null clears.
func calMerge(dst, patch map[string]any, top bool) {
	for k, v := range patch {
		if top && slices.Contains(calReadOnlyFields, k) {
			continue
		}
		if v == nil {
			delete(dst, k)
			continue
		}
		pm, isMap := v.(map[string]any)
		dm, dstMap := dst[k].(map[string]any)
		if isMap && dstMap && !(top && (k == "start" || k == "end")) {
			calMerge(dm, pm, false)
			continue
		}
		dst[k] = v
	}
}

func (cs *calendarService) eventsPatch(w http.ResponseWriter, r *http.Request, caller string) *calErr {
	return cs.eventsWrite(w, r, caller, true)
}

func (cs *calendarService) eventsUpdate(w http.ResponseWriter, r *http.Request, caller string) *calErr {
	return cs.eventsWrite(w, r, caller, false)
}

func (cs *calendarService) eventsWrite(w http.ResponseWriter, r *http.Request, caller string, patch bool) *calErr {
	if err := calCheckSendUpdates(r); err != nil {
		return err
	}
	var raw map[string]any
	if err := calReadJSON(w, r, &raw); err != nil {
		return err
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, it, err := cs.target(r, caller)
	if err != nil {
		return err
	}
	base := it.e
	if it.inst != nil {
		base = cs.materialize(it)
	}
	merged := raw
	if patch {
		b, _ := json.Marshal(&base.ev)
		merged = map[string]any{}
		_ = json.Unmarshal(b, &merged)
		calMerge(merged, raw, true)
	}
	b, _ := json.Marshal(merged)
	var body gcal.Event
	if json.Unmarshal(b, &body) != nil {
		return &calErr{code: 400, reason: "parseError", message: "Parse Error"}
	}
	e, err := cs.build(&body, c, caller, base)
	if err != nil {
		return err
	}
	return cs.store(w, e, c, caller)
}

func (cs *calendarService) eventsDelete(w http.ResponseWriter, r *http.Request, caller string) *calErr {
	if err := calCheckSendUpdates(r); err != nil {
		return err
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, it, err := cs.target(r, caller)
	if err != nil {
		return err
	}
	e := it.e
	if it.inst != nil {
		e = cs.materialize(it)
		cs.events[c.id][e.ev.Id] = e
	} else if e.ev.Status == "cancelled" {
		return calErrDeleted()
	}
	now := cs.sb.now()
	cancel := func(x *calEvent) {
		x.ev.Status, x.updated = "cancelled", now
		x.rev++
	}
	cancel(e)
	if e.rec != nil {
		for _, x := range cs.events[c.id] {
			if x.ev.RecurringEventId == e.ev.Id && x.ev.Status != "cancelled" {
				cancel(x)
			}
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (cs *calendarService) eventsMove(w http.ResponseWriter, r *http.Request, caller string) *calErr {
	if err := calCheckSendUpdates(r); err != nil {
		return err
	}
	dest := r.URL.Query().Get("destination")
	if dest == "" {
		return &calErr{code: 400, reason: "required", message: "Required parameter: destination", location: "destination"}
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	src, it, err := cs.target(r, caller)
	if err != nil {
		return err
	}
	if it.inst != nil || it.e.origStart != nil {
		return &calErr{code: 400, domain: "calendar", reason: "cannotChangeOrganizerOfInstance",
			message: "Cannot change the organizer of an instance."}
	}
	if it.e.ev.Status == "cancelled" {
		return calErrNotFound()
	}
	dst, err := cs.writable(caller, dest)
	if err != nil {
		return err
	}
	e := it.e
	if dst != src {
		if _, dup := cs.events[dst.id][e.ev.Id]; dup {
			return &calErr{code: 409, reason: "duplicate", message: "The requested identifier already exists."}
		}
		now := cs.sb.now()
		for id, x := range cs.events[src.id] {
			if x == e || x.ev.RecurringEventId == e.ev.Id {
				delete(cs.events[src.id], id)
				x.calID, x.ev.Organizer, x.updated = dst.id, cs.organizerOf(dst), now
				x.rev++
				cs.events[dst.id][id] = x
			}
		}
	}
	writeAPIJSON(w, http.StatusOK, cs.render(calItem{e: e}, dst, calRoleOwner, caller, dst.loc))
	return nil
}

// eventsQuickAdd creates an event titled with the text, starting at the next full hour for
// one hour. Unlike Google it does not read dates or times out of the text.
func (cs *calendarService) eventsQuickAdd(w http.ResponseWriter, r *http.Request, caller string) *calErr {
	if err := calCheckSendUpdates(r); err != nil {
		return err
	}
	text := strings.TrimSpace(r.URL.Query().Get("text"))
	if text == "" {
		return &calErr{code: 400, reason: "required", message: "Required parameter: text", location: "text"}
	}
	id := cs.sb.newCalID()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, err := cs.writable(caller, r.PathValue("calendarId"))
	if err != nil {
		return err
	}
	now := cs.sb.now().In(c.loc)
	start := time.Date(now.Year(), now.Month(), now.Day(), now.Hour()+1, 0, 0, 0, c.loc)
	body := gcal.Event{Summary: text,
		Start: &gcal.EventDateTime{DateTime: start.Format(time.RFC3339), TimeZone: c.timeZone},
		End:   &gcal.EventDateTime{DateTime: start.Add(time.Hour).Format(time.RFC3339), TimeZone: c.timeZone}}
	e, berr := cs.build(&body, c, caller, nil)
	if berr != nil {
		return berr
	}
	e.ev.Id, e.ev.ICalUID = id, id+"@google.com"
	return cs.store(w, e, c, caller)
}
