package sandbox

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	gcal "google.golang.org/api/calendar/v3"
)

// This file serves calendarList.list/get and calendars.get/insert/patch/update/delete.

// calColors are Google's calendar colours (colors.get, "calendar" section) by colorId.
var calColors = map[string]string{
	"1": "#ac725e", "2": "#d06b64", "3": "#f83a22", "4": "#fa573c", "5": "#ff7537", "6": "#ffad46",
	"7": "#42d692", "8": "#16a765", "9": "#7bd148", "10": "#b3dc6c", "11": "#fbe983", "12": "#fad165",
	"13": "#92e1c0", "14": "#9fe1e7", "15": "#9fc6e7", "16": "#4986e7", "17": "#9a9cff", "18": "#b99aff",
	"19": "#c2c2c2", "20": "#cabdbf", "21": "#cca6ac", "22": "#f691b2", "23": "#cd74e6", "24": "#a47ae2",
}

// calIntParam reads an optional positive integer query parameter.
func calIntParam(r *http.Request, name string, def int) (int, *calErr) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		e := calErrInvalid("Invalid value for: " + name)
		e.location = name
		return 0, e
	}
	return n, nil
}

// calBoolParam reads an optional boolean query parameter.
func calBoolParam(r *http.Request, name string) (bool, *calErr) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e := calErrInvalid("Invalid value for: " + name)
		e.location = name
		return false, e
	}
	return b, nil
}

func calDefaultReminders(role string) []*gcal.EventReminder {
	if calRoleRank[role] < calRoleRank[calRoleWriter] {
		return nil
	}
	return []*gcal.EventReminder{{Method: "popup", Minutes: 10}}
}

// listEntry renders a calendar as the caller's calendarList entry. Callers hold cs.mu.
func (cs *calendarService) listEntry(c *calCalendar, caller string) *gcal.CalendarListEntry {
	role := cs.role(c, caller)
	e := &gcal.CalendarListEntry{
		Kind: "calendar#calendarListEntry", Etag: etag([]any{"entry", c.id, caller, c.rev}),
		Id: c.id, Summary: c.summary, Description: c.description, Location: c.location,
		TimeZone: c.timeZone, ColorId: c.colorID, BackgroundColor: calColors[c.colorID],
		ForegroundColor: "#000000", Selected: calRoleRank[role] >= calRoleRank[calRoleReader],
		AccessRole: role, Primary: c.primary && c.owner == caller, DefaultReminders: calDefaultReminders(role),
	}
	if role == calRoleOwner {
		e.DataOwner = c.owner
	}
	return e
}

func (cs *calendarService) listList(w http.ResponseWriter, r *http.Request, caller string) *calErr {
	size, err := calIntParam(r, "maxResults", 100)
	if err != nil {
		return err
	}
	minRole := r.URL.Query().Get("minAccessRole")
	if _, ok := calRoleRank[minRole]; !ok {
		return &calErr{code: 400, reason: "invalidParameter", message: "Invalid value for: minAccessRole", location: "minAccessRole"}
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var items []*gcal.CalendarListEntry
	for _, c := range cs.calendarsOf(caller) {
		if calRoleRank[cs.role(c, caller)] >= calRoleRank[minRole] {
			items = append(items, cs.listEntry(c, caller))
		}
	}
	start, end, next, ok := paginate(len(items), r.URL.Query().Get("pageToken"), size, 100, 250)
	if !ok {
		return &calErr{code: 400, reason: "invalid", message: "Invalid page token value.", location: "pageToken"}
	}
	out := &gcal.CalendarList{Kind: "calendar#calendarList", Etag: etag(items), Items: items[start:end],
		NextPageToken: next, ForceSendFields: []string{"Items"}}
	if out.Items == nil {
		out.Items = []*gcal.CalendarListEntry{}
	}
	writeAPIJSON(w, http.StatusOK, out)
	return nil
}

func (cs *calendarService) listGet(w http.ResponseWriter, r *http.Request, caller string) *calErr {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, role := cs.resolve(caller, r.PathValue("calendarId"))
	if c == nil || role == calRoleNone {
		return calErrNotFound()
	}
	writeAPIJSON(w, http.StatusOK, cs.listEntry(c, caller))
	return nil
}

func calResource(c *calCalendar) *gcal.Calendar {
	return &gcal.Calendar{Kind: "calendar#calendar", Etag: c.etag(), Id: c.id, Summary: c.summary,
		Description: c.description, Location: c.location, TimeZone: c.timeZone}
}

func (cs *calendarService) calendarsGet(w http.ResponseWriter, r *http.Request, caller string) *calErr {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, role := cs.resolve(caller, r.PathValue("calendarId"))
	if c == nil || role == calRoleNone {
		return calErrNotFound()
	}
	writeAPIJSON(w, http.StatusOK, calResource(c))
	return nil
}

// calCalendarFields are the writable fields of a calendar as a request gave them; a nil
// pointer is a field the request left out.
type calCalendarFields struct {
	Summary, Description, Location, TimeZone *string
}

func calReadCalendar(w http.ResponseWriter, r *http.Request) (calCalendarFields, *calErr) {
	var raw map[string]json.RawMessage
	if err := calReadJSON(w, r, &raw); err != nil {
		return calCalendarFields{}, err
	}
	var f calCalendarFields
	for key, dst := range map[string]**string{"summary": &f.Summary, "description": &f.Description,
		"location": &f.Location, "timeZone": &f.TimeZone} {
		v, ok := raw[key]
		if !ok {
			continue
		}
		s := ""
		if string(v) != "null" {
			if err := json.Unmarshal(v, &s); err != nil {
				return calCalendarFields{}, &calErr{code: 400, reason: "parseError", message: "Parse Error"}
			}
		}
		*dst = &s
	}
	return f, nil
}

// apply checks and applies fields to c; replace clears what the request left out.
func (f calCalendarFields) apply(c *calCalendar, replace bool) *calErr {
	if f.Summary != nil && *f.Summary == "" || f.Summary == nil && (replace || c.summary == "") {
		return calErrRequired("Missing summary.")
	}
	var loc *time.Location
	if f.TimeZone != nil && *f.TimeZone != "" {
		l, err := calLoadLocation(*f.TimeZone)
		if err != nil {
			return calErrInvalid("Invalid time zone: " + *f.TimeZone)
		}
		loc = l
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		} else if replace {
			*dst = ""
		}
	}
	set(&c.summary, f.Summary)
	set(&c.description, f.Description)
	set(&c.location, f.Location)
	if loc != nil {
		c.timeZone, c.loc = *f.TimeZone, loc
	}
	c.rev++
	return nil
}

func (cs *calendarService) calendarsInsert(w http.ResponseWriter, r *http.Request, caller string) *calErr {
	f, err := calReadCalendar(w, r)
	if err != nil {
		return err
	}
	id := cs.sb.newCalID() + "@group.calendar.google.com"
	cs.mu.Lock()
	defer cs.mu.Unlock()
	primary := cs.ensurePrimary(caller, "UTC")
	cs.order++
	c := &calCalendar{id: id, timeZone: primary.timeZone, loc: primary.loc, owner: caller,
		colorID: "9", created: cs.order, acl: map[string]string{}}
	if err := f.apply(c, false); err != nil {
		return err
	}
	cs.calendars[id] = c
	cs.events[id] = map[string]*calEvent{}
	writeAPIJSON(w, http.StatusOK, calResource(c))
	return nil
}

func (cs *calendarService) calendarsWrite(w http.ResponseWriter, r *http.Request, caller string, replace bool) *calErr {
	f, err := calReadCalendar(w, r)
	if err != nil {
		return err
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, role := cs.resolve(caller, r.PathValue("calendarId"))
	switch {
	case c == nil || role == calRoleNone:
		return calErrNotFound()
	case role != calRoleOwner:
		return &calErr{code: 403, domain: "calendar", reason: "requiredAccessLevel",
			message: "You need to have owner access to this calendar."}
	}
	if m := r.Header.Get("If-Match"); m != "" && m != "*" && m != c.etag() {
		return calErrPrecondition()
	}
	next := *c
	if err := f.apply(&next, replace); err != nil {
		return err
	}
	*c = next
	writeAPIJSON(w, http.StatusOK, calResource(c))
	return nil
}

func (cs *calendarService) calendarsPatch(w http.ResponseWriter, r *http.Request, caller string) *calErr {
	return cs.calendarsWrite(w, r, caller, false)
}

func (cs *calendarService) calendarsUpdate(w http.ResponseWriter, r *http.Request, caller string) *calErr {
	return cs.calendarsWrite(w, r, caller, true)
}

func (cs *calendarService) calendarsDelete(w http.ResponseWriter, r *http.Request, caller string) *calErr {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, role := cs.resolve(caller, r.PathValue("calendarId"))
	switch {
	case c == nil || role == calRoleNone:
		return calErrNotFound()
	case role != calRoleOwner:
		return &calErr{code: 403, domain: "calendar", reason: "requiredAccessLevel",
			message: "You need to have owner access to this calendar."}
	case c.primary:
		// Google keeps primary calendars; calendars.clear empties them instead.
		return &calErr{code: 403, domain: "calendar", reason: "cannotDeletePrimaryCalendar",
			message: "The primary calendar cannot be deleted."}
	}
	delete(cs.calendars, c.id)
	delete(cs.events, c.id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
