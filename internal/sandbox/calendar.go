package sandbox

import (
	"encoding/base32"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	gcal "google.golang.org/api/calendar/v3"
)

// This file is the fake Google Calendar API v3, served at /calendar/v3/ like Google's: its
// state (calendars, sharing, events), access control, errors and test accessors. The handlers
// live in calendar_calendars.go, calendar_events*.go and calendar_freebusy.go, recurrence in
// calendar_rrule.go, times in calendar_time.go and the demo data in calendar_seed.go.
//
// Model: every calendar has one owner and an access list (freeBusyReader, reader, writer).
// An event lives on the calendar it was created on, whose owner organizes it; attendees who
// are sandbox accounts see it on their primary calendar too, read-only. Changes to single
// instances of a recurring event are stored as exceptions (id masterID_20260309T080000Z).

const calScopePrefix = "https://www.googleapis.com/auth/"

func calScopes(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = calScopePrefix + n
	}
	return out
}

// The scopes each method accepts, from the Calendar API's discovery document.
var (
	calScopesListRead       = calScopes("calendar", "calendar.readonly", "calendar.calendarlist", "calendar.calendarlist.readonly")
	calScopesCalendarsRead  = calScopes("calendar", "calendar.readonly", "calendar.calendars", "calendar.calendars.readonly")
	calScopesCalendarsWrite = calScopes("calendar", "calendar.calendars")
	calScopesEventsRead     = calScopes("calendar", "calendar.readonly", "calendar.events", "calendar.events.readonly")
	calScopesEventsWrite    = calScopes("calendar", "calendar.events")
	calScopesFreeBusy       = calScopes("calendar", "calendar.readonly", "calendar.freebusy", "calendar.events.freebusy")
)

// Access roles, weakest first.
const (
	calRoleNone     = ""
	calRoleFreeBusy = "freeBusyReader"
	calRoleReader   = "reader"
	calRoleWriter   = "writer"
	calRoleOwner    = "owner"
)

var calRoleRank = map[string]int{calRoleNone: 0, calRoleFreeBusy: 1, calRoleReader: 2, calRoleWriter: 3, calRoleOwner: 4}

// calErr is a Calendar API error answer; the Calendar API names its own domain for some.
type calErr struct {
	code         int
	domain       string
	reason       string
	message      string
	location     string
	locationType string
}

func (e *calErr) write(w http.ResponseWriter) {
	item := map[string]string{"domain": e.domain, "reason": e.reason, "message": e.message}
	if item["domain"] == "" {
		item["domain"] = "global"
	}
	if e.location != "" {
		item["location"], item["locationType"] = e.location, e.locationType
		if e.locationType == "" {
			item["locationType"] = "parameter"
		}
	}
	writeAPIJSON(w, e.code, map[string]any{"error": map[string]any{
		"code": e.code, "message": e.message, "errors": []map[string]string{item}, "status": statusNames[e.code],
	}})
}

func calErrRequired(msg string) *calErr { return &calErr{code: 400, reason: "required", message: msg} }
func calErrInvalid(msg string) *calErr  { return &calErr{code: 400, reason: "invalid", message: msg} }
func calErrBadRequest(msg string) *calErr {
	return &calErr{code: 400, reason: "badRequest", message: msg}
}
func calErrTimeRangeEmpty(location string) *calErr {
	return &calErr{code: 400, domain: "calendar", reason: "timeRangeEmpty",
		message: "The specified time range is empty.", location: location}
}
func calErrNotFound() *calErr { return &calErr{code: 404, reason: "notFound", message: "Not Found"} }
func calErrDeleted() *calErr {
	return &calErr{code: 410, reason: "deleted", message: "Resource has been deleted"}
}
func calErrWriter() *calErr {
	return &calErr{code: 403, domain: "calendar", reason: "requiredAccessLevel",
		message: "You need to have writer access to this calendar."}
}
func calErrNonOrganizer() *calErr {
	return &calErr{code: 403, domain: "calendar", reason: "forbiddenForNonOrganizer",
		message: "Shared properties can only be changed by the organizer of the event."}
}
func calErrPrecondition() *calErr {
	return &calErr{code: 412, reason: "conditionNotMet", message: "Precondition Failed",
		location: "If-Match", locationType: "header"}
}

// calCalendar is one calendar.
type calCalendar struct {
	id, summary, description, location, timeZone string
	owner                                        string // lower-case email
	primary                                      bool
	colorID                                      string
	created                                      int // creation order
	acl                                          map[string]string
	rev                                          int64
	loc                                          *time.Location
}

func (c *calCalendar) etag() string { return etag([]any{"calendar", c.id, c.rev}) }

// calEvent is one stored event: a single event, a recurring event or an exception.
type calEvent struct {
	ev         gcal.Event // client fields and server fields, start/end as given
	calID      string
	start, end calWhen
	rec        *calRecurrence
	origStart  *calWhen // exceptions only
	created    time.Time
	updated    time.Time
	rev        int64
}

func (e *calEvent) etag() string { return etag([]any{"event", e.calID, e.ev.Id, e.rev}) }

// calendarService is the fake Calendar API: its own router and its state, behind its own lock.
type calendarService struct {
	sb  *Sandbox
	mux *http.ServeMux

	mu        sync.Mutex
	calendars map[string]*calCalendar
	events    map[string]map[string]*calEvent // calendar id -> event id -> event
	order     int
}

const calAPIPrefix = "/calendar/v3/"

// routeCalendar mounts the fake Calendar API v3 at Google's paths and seeds the demo
// calendars from s.now().
func (s *Sandbox) routeCalendar(mux *http.ServeMux) {
	cs := &calendarService{sb: s, mux: http.NewServeMux(),
		calendars: map[string]*calCalendar{}, events: map[string]map[string]*calEvent{}}
	cs.routes()
	cs.seed(s.now())
	s.cal = cs
	mux.Handle(calAPIPrefix, cs)
}

// calendarService returns the Calendar API mounted on s, or nil when none is.
func (s *Sandbox) calendarService() *calendarService { return s.cal }

func (cs *calendarService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := cs.mux.Handler(r); pattern == "" {
		calErrNotFound().write(w)
		return
	}
	cs.mux.ServeHTTP(w, r)
}

// calIDEncoding is base32hex in lower case, the alphabet of Calendar ids.
var calIDEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

// newCalID returns a fresh random id in the Calendar alphabet.
func (s *Sandbox) newCalID() string {
	b := make([]byte, 16)
	s.mu.Lock() // s.rand is read under s.mu, as everywhere in the sandbox
	_, err := io.ReadFull(s.rand, b)
	s.mu.Unlock()
	if err != nil {
		panic("sandbox: calendar: read randomness: " + err.Error())
	}
	return calIDEncoding.EncodeToString(b)
}

// calValidEventID reports whether a client-chosen event id fits Google's rules: 5 to 1024
// characters of lower-case base32hex (a-v, 0-9).
func calValidEventID(id string) bool {
	if len(id) < 5 || len(id) > 1024 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'v' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// resolve finds a calendar for the caller ("primary" is the caller's own) and the caller's
// role on it. Callers hold cs.mu.
func (cs *calendarService) resolve(caller, id string) (*calCalendar, string) {
	if id == "primary" {
		id = caller
	}
	c := cs.calendars[strings.ToLower(id)]
	if c == nil {
		c = cs.calendars[id]
	}
	if c == nil {
		return nil, calRoleNone
	}
	return c, cs.role(c, caller)
}

func (cs *calendarService) role(c *calCalendar, caller string) string {
	if c.owner == caller {
		return calRoleOwner
	}
	return c.acl[caller]
}

// ensurePrimary creates the caller's primary calendar on first use (accounts added after
// the seed). Callers hold cs.mu.
func (cs *calendarService) ensurePrimary(email, timeZone string) *calCalendar {
	email = strings.ToLower(email)
	if c := cs.calendars[email]; c != nil {
		return c
	}
	loc, err := calLoadLocation(timeZone)
	if err != nil {
		timeZone, loc = "UTC", time.UTC
	}
	cs.order++
	c := &calCalendar{id: email, summary: email, timeZone: timeZone, loc: loc, owner: email,
		primary: true, colorID: "14", created: cs.order, acl: map[string]string{}}
	cs.calendars[email] = c
	cs.events[email] = map[string]*calEvent{}
	return c
}

// calendarsOf lists the calendars a caller can see: the primary one, the others the caller
// owns, then those shared with the caller, each group by creation. Callers hold cs.mu.
func (cs *calendarService) calendarsOf(caller string) []*calCalendar {
	var out []*calCalendar
	for _, c := range cs.calendars {
		if cs.role(c, caller) != calRoleNone {
			out = append(out, c)
		}
	}
	group := func(c *calCalendar) int {
		switch {
		case c.owner != caller:
			return 2
		case c.primary:
			return 0
		}
		return 1
	}
	slices.SortFunc(out, func(a, b *calCalendar) int {
		if d := group(a) - group(b); d != 0 {
			return d
		}
		return a.created - b.created
	})
	return out
}

// calReadJSON decodes a request body of at most 1 MiB into v, answering Google's parse error.
func calReadJSON(w http.ResponseWriter, r *http.Request, v any) *calErr {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &calErr{code: 413, reason: "uploadTooLarge", message: "Request Entity Too Large"}
		}
		return calErrBadRequest("Bad Request")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &calErr{code: 400, reason: "parseError", message: "Parse Error"}
	}
	return nil
}

// handle registers a handler that answers errors with a *calErr, behind s.api (scripted
// failures, bearer authentication, scopes). The caller gets a primary calendar on first use.
func (cs *calendarService) handle(pattern string, scopes []string, h func(w http.ResponseWriter, r *http.Request, caller string) *calErr) {
	cs.mux.Handle(pattern, cs.sb.api("calendar", scopes, func(w http.ResponseWriter, r *http.Request, g Grant) {
		caller := strings.ToLower(g.Email)
		cs.mu.Lock()
		cs.ensurePrimary(caller, "UTC")
		cs.mu.Unlock()
		if err := h(w, r, caller); err != nil {
			err.write(w)
		}
	}))
}

func (cs *calendarService) routes() {
	const p = "/calendar/v3"
	cs.handle("GET "+p+"/users/me/calendarList", calScopesListRead, cs.listList)
	cs.handle("GET "+p+"/users/me/calendarList/{calendarId}", calScopesListRead, cs.listGet)
	cs.handle("POST "+p+"/calendars", calScopesCalendarsWrite, cs.calendarsInsert)
	cs.handle("GET "+p+"/calendars/{calendarId}", calScopesCalendarsRead, cs.calendarsGet)
	cs.handle("PATCH "+p+"/calendars/{calendarId}", calScopesCalendarsWrite, cs.calendarsPatch)
	cs.handle("PUT "+p+"/calendars/{calendarId}", calScopesCalendarsWrite, cs.calendarsUpdate)
	cs.handle("DELETE "+p+"/calendars/{calendarId}", calScopesCalendarsWrite, cs.calendarsDelete)
	cs.handle("GET "+p+"/calendars/{calendarId}/events", calScopesEventsRead, cs.eventsList)
	cs.handle("POST "+p+"/calendars/{calendarId}/events", calScopesEventsWrite, cs.eventsInsert)
	cs.handle("POST "+p+"/calendars/{calendarId}/events/quickAdd", calScopesEventsWrite, cs.eventsQuickAdd)
	cs.handle("GET "+p+"/calendars/{calendarId}/events/{eventId}", calScopesEventsRead, cs.eventsGet)
	cs.handle("PATCH "+p+"/calendars/{calendarId}/events/{eventId}", calScopesEventsWrite, cs.eventsPatch)
	cs.handle("PUT "+p+"/calendars/{calendarId}/events/{eventId}", calScopesEventsWrite, cs.eventsUpdate)
	cs.handle("DELETE "+p+"/calendars/{calendarId}/events/{eventId}", calScopesEventsWrite, cs.eventsDelete)
	cs.handle("POST "+p+"/calendars/{calendarId}/events/{eventId}/move", calScopesEventsWrite, cs.eventsMove)
	cs.handle("GET "+p+"/calendars/{calendarId}/events/{eventId}/instances", calScopesEventsRead, cs.eventsInstances)
	cs.handle("POST "+p+"/freeBusy", calScopesFreeBusy, cs.freeBusy)
}

// CalendarInfo describes a calendar as one person sees it, for tests.
type CalendarInfo struct {
	ID         string
	Summary    string
	TimeZone   string
	AccessRole string
	Primary    bool
}

// CalendarEventInfo describes a stored event, for tests. Start and End are instants (all-day
// events: midnight in the calendar's time zone, End exclusive).
type CalendarEventInfo struct {
	ID               string
	CalendarID       string
	Status           string
	Summary          string
	Start, End       time.Time
	AllDay           bool
	TimeZone         string
	Recurrence       []string
	RecurringEventID string
	Organizer        string
	Attendees        []string
	Sequence         int64
}

// Calendars returns the calendars the account with this email can see, primary first.
func (s *Sandbox) Calendars(email string) []CalendarInfo {
	cs := s.calendarService()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	caller := strings.ToLower(email)
	var out []CalendarInfo
	for _, c := range cs.calendarsOf(caller) {
		out = append(out, CalendarInfo{ID: c.id, Summary: c.summary, TimeZone: c.timeZone,
			AccessRole: cs.role(c, caller), Primary: c.primary && c.owner == caller})
	}
	return out
}

// CalendarEvents returns the events stored on a calendar ("primary" is the account's own)
// that the account can see, deleted ones and exceptions included, ordered by start. It
// returns nil for a calendar the account cannot see.
func (s *Sandbox) CalendarEvents(email, calendarID string) []CalendarEventInfo {
	cs := s.calendarService()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, role := cs.resolve(strings.ToLower(email), calendarID)
	if c == nil || role == calRoleNone {
		return nil
	}
	var out []CalendarEventInfo
	for _, e := range cs.events[c.id] {
		info := CalendarEventInfo{ID: e.ev.Id, CalendarID: c.id, Status: e.ev.Status, Summary: e.ev.Summary,
			Start: e.start.at(c.loc), End: e.end.at(c.loc), AllDay: e.start.allDay, TimeZone: e.start.tz,
			Recurrence: slices.Clone(e.ev.Recurrence), RecurringEventID: e.ev.RecurringEventId, Sequence: e.ev.Sequence}
		if e.ev.Organizer != nil {
			info.Organizer = e.ev.Organizer.Email
		}
		for _, a := range e.ev.Attendees {
			info.Attendees = append(info.Attendees, a.Email)
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b CalendarEventInfo) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// ShareCalendar gives another account a role on a calendar: "freeBusyReader", "reader",
// "writer", or "" to stop sharing. calendarID "primary" means the owner's own.
func (s *Sandbox) ShareCalendar(owner, calendarID, email, role string) error {
	if _, ok := calRoleRank[role]; !ok || role == calRoleOwner {
		return errors.New("sandbox: share calendar: role must be freeBusyReader, reader, writer or empty")
	}
	cs := s.calendarService()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, r := cs.resolve(strings.ToLower(owner), calendarID)
	if c == nil || r != calRoleOwner {
		return errors.New("sandbox: share calendar: no calendar " + calendarID + " owned by " + owner)
	}
	email = strings.ToLower(email)
	if role == calRoleNone {
		delete(c.acl, email)
	} else {
		c.acl[email] = role
	}
	c.rev++
	return nil
}
