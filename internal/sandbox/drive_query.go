package sandbox

import (
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"
)

// This file parses and evaluates files.list's q, the subset of Drive's query language gwmcp's
// tools use:
//
//	name = | != | contains 'x'          (contains: prefix of a word, case-insensitive)
//	fullText contains 'x'               (whole words; '"a b"' for an exact phrase)
//	mimeType = | != | contains 'x'
//	modifiedTime | createdTime | viewedByMeTime = != < <= > >= 'RFC 3339'
//	trashed | starred = | != true|false, sharedWithMe (bare or = true|false)
//	visibility = | != 'anyoneCanFind' | 'anyoneWithLink' | 'domainCanFind' | 'domainWithLink' | 'limited'
//	'x' in parents | owners | writers | readers
//	and, or, not, parentheses; strings in single quotes with \' and \\ escapes.
//
// Anything else is a syntax error, which Google answers with 400 "Invalid Value" at q.

// driveQuery is a parsed query.
type driveQuery interface {
	match(qc *driveQueryCtx, f *driveFile) bool
}

// driveQueryCtx is what evaluation needs: the state (for ancestry and roles) and the caller.
type driveQueryCtx struct {
	d *driveState
	c driveCaller
}

type driveQAnd struct{ a, b driveQuery }
type driveQOr struct{ a, b driveQuery }
type driveQNot struct{ x driveQuery }

func (q driveQAnd) match(qc *driveQueryCtx, f *driveFile) bool {
	return q.a.match(qc, f) && q.b.match(qc, f)
}
func (q driveQOr) match(qc *driveQueryCtx, f *driveFile) bool {
	return q.a.match(qc, f) || q.b.match(qc, f)
}
func (q driveQNot) match(qc *driveQueryCtx, f *driveFile) bool { return !q.x.match(qc, f) }

// driveQTerm is one comparison.
type driveQTerm struct {
	field, op string
	str       string
	b         bool
	t         time.Time
}

var errDriveQuery = errors.New("invalid query")

type driveQTok struct {
	kind string // "word", "str", "op", "(", ")"
	text string
}

func lexDriveQuery(s string) ([]driveQTok, error) {
	var toks []driveQTok
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			toks = append(toks, driveQTok{kind: string(c)})
			i++
		case c == '=':
			toks = append(toks, driveQTok{kind: "op", text: "="})
			i++
		case c == '!' || c == '<' || c == '>':
			op := string(c)
			if i+1 < len(s) && s[i+1] == '=' {
				op += "="
			}
			if op == "!" {
				return nil, errDriveQuery
			}
			toks = append(toks, driveQTok{kind: "op", text: op})
			i += len(op)
		case c == '\'':
			var b strings.Builder
			i++
			closed := false
			for i < len(s) {
				if s[i] == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if s[i] == '\'' {
					closed = true
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			if !closed {
				return nil, errDriveQuery
			}
			toks = append(toks, driveQTok{kind: "str", text: b.String()})
		case c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z'):
			j := i
			for j < len(s) && (s[j] == '_' || ('a' <= s[j] && s[j] <= 'z') || ('A' <= s[j] && s[j] <= 'Z') || ('0' <= s[j] && s[j] <= '9')) {
				j++
			}
			toks = append(toks, driveQTok{kind: "word", text: s[i:j]})
			i = j
		default:
			return nil, errDriveQuery
		}
	}
	return toks, nil
}

type driveQParser struct {
	toks []driveQTok
	pos  int
}

// parseDriveQuery parses q; an empty q matches everything (nil).
func parseDriveQuery(q string) (driveQuery, error) {
	if strings.TrimSpace(q) == "" {
		return nil, nil
	}
	if len(q) > 20000 {
		return nil, errDriveQuery
	}
	toks, err := lexDriveQuery(q)
	if err != nil {
		return nil, err
	}
	p := &driveQParser{toks: toks}
	e, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, errDriveQuery
	}
	return e, nil
}

func (p *driveQParser) peekWord(w string) bool {
	return p.pos < len(p.toks) && p.toks[p.pos].kind == "word" && strings.EqualFold(p.toks[p.pos].text, w)
}

// maxDriveQueryDepth bounds nesting so a hostile query cannot exhaust the stack.
const maxDriveQueryDepth = 64

func (p *driveQParser) or(depth int) (driveQuery, error) {
	left, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	for p.peekWord("or") {
		p.pos++
		right, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		left = driveQOr{left, right}
	}
	return left, nil
}

func (p *driveQParser) and(depth int) (driveQuery, error) {
	left, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	for p.peekWord("and") {
		p.pos++
		right, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		left = driveQAnd{left, right}
	}
	return left, nil
}

func (p *driveQParser) unary(depth int) (driveQuery, error) {
	if depth > maxDriveQueryDepth {
		return nil, errDriveQuery
	}
	if p.peekWord("not") {
		p.pos++
		x, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return driveQNot{x}, nil
	}
	if p.pos < len(p.toks) && p.toks[p.pos].kind == "(" {
		p.pos++
		e, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.pos >= len(p.toks) || p.toks[p.pos].kind != ")" {
			return nil, errDriveQuery
		}
		p.pos++
		return e, nil
	}
	return p.term()
}

func (p *driveQParser) next() (driveQTok, bool) {
	if p.pos >= len(p.toks) {
		return driveQTok{}, false
	}
	t := p.toks[p.pos]
	p.pos++
	return t, true
}

var driveQueryFields = map[string][]string{
	"name":           {"=", "!=", "contains"},
	"fullText":       {"contains"},
	"mimeType":       {"=", "!=", "contains"},
	"modifiedTime":   {"=", "!=", "<", "<=", ">", ">="},
	"createdTime":    {"=", "!=", "<", "<=", ">", ">="},
	"viewedByMeTime": {"=", "!=", "<", "<=", ">", ">="},
	"trashed":        {"=", "!="},
	"starred":        {"=", "!="},
	"sharedWithMe":   {"=", "!="},
	"visibility":     {"=", "!="},
}

func (p *driveQParser) term() (driveQuery, error) {
	t, ok := p.next()
	if !ok {
		return nil, errDriveQuery
	}
	if t.kind == "str" { // 'value' in collection
		if !p.peekWord("in") {
			return nil, errDriveQuery
		}
		p.pos++
		coll, ok := p.next()
		if !ok || coll.kind != "word" {
			return nil, errDriveQuery
		}
		switch coll.text {
		case "parents", "owners", "writers", "readers":
			return driveQTerm{field: coll.text, op: "in", str: t.text}, nil
		}
		return nil, errDriveQuery
	}
	if t.kind != "word" {
		return nil, errDriveQuery
	}
	ops, known := driveQueryFields[t.text]
	if !known {
		return nil, errDriveQuery
	}
	term := driveQTerm{field: t.text}
	opTok, ok := p.next()
	if t.text == "sharedWithMe" && (!ok || opTok.kind != "op") { // bare sharedWithMe
		if ok {
			p.pos--
		}
		return driveQTerm{field: "sharedWithMe", op: "=", b: true}, nil
	}
	switch {
	case !ok:
		return nil, errDriveQuery
	case opTok.kind == "op":
		term.op = opTok.text
	case opTok.kind == "word" && opTok.text == "contains":
		term.op = "contains"
	default:
		return nil, errDriveQuery
	}
	if !slices.Contains(ops, term.op) {
		return nil, errDriveQuery
	}
	val, ok := p.next()
	if !ok {
		return nil, errDriveQuery
	}
	switch t.text {
	case "trashed", "starred", "sharedWithMe":
		if val.kind != "word" || (val.text != "true" && val.text != "false") {
			return nil, errDriveQuery
		}
		term.b = val.text == "true"
	case "modifiedTime", "createdTime", "viewedByMeTime":
		if val.kind != "str" {
			return nil, errDriveQuery
		}
		tm, err := parseDriveQueryTime(val.text)
		if err != nil {
			return nil, errDriveQuery
		}
		term.t = tm
	case "visibility":
		if val.kind != "str" || !slices.Contains([]string{"anyoneCanFind", "anyoneWithLink", "domainCanFind", "domainWithLink", "limited"}, val.text) {
			return nil, errDriveQuery
		}
		term.str = val.text
	default:
		if val.kind != "str" {
			return nil, errDriveQuery
		}
		term.str = val.text
	}
	return term, nil
}

func parseDriveQueryTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errDriveQuery
}

func (q driveQTerm) match(qc *driveQueryCtx, f *driveFile) bool {
	c := qc.c
	switch q.field {
	case "name":
		switch q.op {
		case "=":
			return strings.EqualFold(f.name, q.str)
		case "!=":
			return !strings.EqualFold(f.name, q.str)
		}
		return driveWordPrefix(f.name, q.str)
	case "fullText":
		return driveFullText(f.name+"\n"+f.description+"\n"+f.searchText(), q.str)
	case "mimeType":
		switch q.op {
		case "=":
			return f.mimeType == q.str
		case "!=":
			return f.mimeType != q.str
		}
		return strings.Contains(f.mimeType, q.str)
	case "modifiedTime":
		return driveCompareTime(f.modified, q.op, q.t)
	case "createdTime":
		return driveCompareTime(f.created, q.op, q.t)
	case "viewedByMeTime":
		v, ok := f.viewedBy[c.email]
		return ok && driveCompareTime(v, q.op, q.t)
	case "trashed":
		return (f.trashed == q.b) == (q.op == "=")
	case "starred":
		return (f.starredBy[c.email] == q.b) == (q.op == "=")
	case "sharedWithMe":
		return (qc.d.sharedWithMe(f, c) == q.b) == (q.op == "=")
	case "visibility":
		return (qc.d.visibility(f) == q.str) == (q.op == "=")
	case "parents":
		id := q.str
		if id == "root" {
			id = qc.d.rootFor(c.email, c.name).id
		}
		return slices.Contains(f.parents, id)
	case "owners":
		return f.owner != "" && strings.EqualFold(f.owner, q.str)
	case "writers", "readers":
		who := driveCaller{email: strings.ToLower(q.str), clientID: c.clientID, scopes: []string{driveScopeFull}}
		who.domain = qc.d.domains[who.email]
		want := "writer"
		if q.field == "readers" {
			want = "reader"
		}
		return driveAtLeast(qc.d.personRole(f, who), want)
	}
	return false
}

func driveCompareTime(v time.Time, op string, t time.Time) bool {
	switch op {
	case "=":
		return v.Equal(t)
	case "!=":
		return !v.Equal(t)
	case "<":
		return v.Before(t)
	case "<=":
		return !v.After(t)
	case ">":
		return v.After(t)
	case ">=":
		return !v.Before(t)
	}
	return false
}

func driveIsAlnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// driveWordPrefix reports whether needle starts at a word boundary in hay, case-insensitively:
// Drive's name contains 'Hello' finds "HelloWorld" and "Say Hello", not "OthelloWorld".
func driveWordPrefix(hay, needle string) bool {
	hay, needle = strings.ToLower(hay), strings.ToLower(needle)
	if needle == "" {
		return true
	}
	for i := 0; i <= len(hay); {
		j := strings.Index(hay[i:], needle)
		if j < 0 {
			return false
		}
		pos := i + j
		if pos == 0 {
			return true
		}
		prev := []rune(hay[:pos])
		if !driveIsAlnum(prev[len(prev)-1]) {
			return true
		}
		i = pos + 1
	}
	return false
}

// driveTokens splits text into lower-case alphanumeric tokens.
func driveTokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !driveIsAlnum(r) })
}

// driveFullText matches whole tokens: every token of the query must be present, or with the
// query in double quotes, the exact sequence of tokens.
func driveFullText(text, query string) bool {
	hay := driveTokens(text)
	q := strings.TrimSpace(query)
	phrase := len(q) >= 2 && q[0] == '"' && q[len(q)-1] == '"'
	want := driveTokens(q)
	if len(want) == 0 {
		return false
	}
	if !phrase {
		for _, w := range want {
			if !slices.Contains(hay, w) {
				return false
			}
		}
		return true
	}
	for i := 0; i+len(want) <= len(hay); i++ {
		if slices.Equal(hay[i:i+len(want)], want) {
			return true
		}
	}
	return false
}

// sharedWithMe reports whether f is in the caller's "Shared with me": not theirs, not in a
// shared drive, and shared with them directly by a user permission.
func (d *driveState) sharedWithMe(f *driveFile, c driveCaller) bool {
	if f.owner == c.email || f.driveID != "" || f.isRoot {
		return false
	}
	for _, p := range f.perms {
		if (p.typ == "user" || p.typ == "group") && p.email == c.email {
			return true
		}
	}
	return false
}

// visibility is Drive's summary of the widest permission on f.
func (d *driveState) visibility(f *driveFile) string {
	v := "limited"
	rank := map[string]int{"limited": 0, "domainWithLink": 1, "domainCanFind": 2, "anyoneWithLink": 3, "anyoneCanFind": 4}
	for _, p := range f.perms {
		x := ""
		switch p.typ {
		case "anyone":
			x = "anyoneWithLink"
			if p.allowDiscovery {
				x = "anyoneCanFind"
			}
		case "domain":
			x = "domainWithLink"
			if p.allowDiscovery {
				x = "domainCanFind"
			}
		}
		if x != "" && rank[x] > rank[v] {
			v = x
		}
	}
	return v
}
