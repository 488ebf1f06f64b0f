package sandbox

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// This file implements Gmail's search language (the q parameter and filter criteria):
// operators from:, to:, cc:, bcc:, subject:, label:, in:, is:, has:, filename:,
// newer_than:, older_than:, after:, before:, newer:, older:, larger:, smaller:,
// rfc822msgid:, category:, list:, deliveredto:, free words and "quoted phrases",
// implicit AND, OR (binding tighter than AND, as in Gmail), {a b} for OR, -negation and
// parentheses, also after an operator: subject:(dinner movie). Words match whole words,
// case-insensitively, as Gmail does; dates are midnight Pacific Standard Time, as Google
// documents, unless given as epoch seconds.

// gmailQueryZone is where after:/before: dates start: Google documents midnight PST.
var gmailQueryZone = time.FixedZone("PST", -8*3600)

var gmailOperators = []string{"from", "to", "cc", "bcc", "subject", "label", "in", "is", "has", "filename",
	"newer_than", "older_than", "after", "before", "newer", "older", "larger", "smaller", "rfc822msgid",
	"category", "list", "deliveredto"}

type qnode interface {
	match(e *qenv) bool
}

type (
	qAnd  []qnode
	qOr   []qnode
	qNot  struct{ n qnode }
	qTerm struct{ field, value string }
)

// qenv is what a query is evaluated against.
type qenv struct {
	mb  *mailbox
	m   *gmMessage
	now time.Time
}

// gmailQuery is a parsed search; the zero query matches everything.
type gmailQuery struct{ root qnode }

func (a qAnd) match(e *qenv) bool {
	for _, n := range a {
		if !n.match(e) {
			return false
		}
	}
	return true
}

func (o qOr) match(e *qenv) bool {
	for _, n := range o {
		if n.match(e) {
			return true
		}
	}
	return false
}

func (n qNot) match(e *qenv) bool { return !n.n.match(e) }

func (q gmailQuery) match(mb *mailbox, m *gmMessage, now time.Time) bool {
	if q.root == nil {
		return true
	}
	return q.root.match(&qenv{mb: mb, m: m, now: now})
}

// mentionsSpamTrash reports whether the query asks for spam or trash (in:spam, in:trash,
// label:trash, in:anywhere ...) outside a negation, which lifts the default exclusion.
func (q gmailQuery) mentionsSpamTrash() bool {
	var walk func(n qnode) bool
	walk = func(n qnode) bool {
		switch n := n.(type) {
		case qAnd:
			return slices.ContainsFunc(n, walk)
		case qOr:
			return slices.ContainsFunc(n, walk)
		case qTerm:
			v := strings.ToLower(n.value)
			return (n.field == "in" || n.field == "label") && (v == "spam" || v == "trash" || v == "anywhere")
		}
		return false
	}
	return q.root != nil && walk(q.root)
}

// Tokens of the search language.
const (
	tkWord = iota
	tkField
	tkLParen
	tkRParen
	tkLBrace
	tkRBrace
	tkMinus
	tkOr
	tkAnd
)

type qtoken struct {
	kind int
	text string
}

func lexQuery(s string) []qtoken {
	var out []qtoken
	rs := []rune(s)
	for i := 0; i < len(rs); {
		c := rs[i]
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '(':
			out = append(out, qtoken{kind: tkLParen})
			i++
		case c == ')':
			out = append(out, qtoken{kind: tkRParen})
			i++
		case c == '{':
			out = append(out, qtoken{kind: tkLBrace})
			i++
		case c == '}':
			out = append(out, qtoken{kind: tkRBrace})
			i++
		case c == '-' && i+1 < len(rs) && !unicode.IsSpace(rs[i+1]):
			out = append(out, qtoken{kind: tkMinus})
			i++
		case c == '"':
			j := i + 1
			for j < len(rs) && rs[j] != '"' {
				j++
			}
			out = append(out, qtoken{kind: tkWord, text: string(rs[i+1 : min(j, len(rs))])})
			i = j + 1
		default:
			j := i
			for j < len(rs) && !unicode.IsSpace(rs[j]) && !strings.ContainsRune("(){}\"", rs[j]) {
				j++
			}
			word := string(rs[i:j])
			i = j
			if op, rest, ok := strings.Cut(word, ":"); ok && slices.Contains(gmailOperators, strings.ToLower(op)) {
				out = append(out, qtoken{kind: tkField, text: strings.ToLower(op)})
				if rest != "" {
					out = append(out, qtoken{kind: tkWord, text: rest})
				}
				continue
			}
			switch word {
			case "OR":
				out = append(out, qtoken{kind: tkOr})
			case "AND":
				out = append(out, qtoken{kind: tkAnd})
			default:
				out = append(out, qtoken{kind: tkWord, text: word})
			}
		}
	}
	return out
}

type qparser struct {
	toks []qtoken
	pos  int
}

func (p *qparser) peek() (qtoken, bool) {
	if p.pos >= len(p.toks) {
		return qtoken{}, false
	}
	return p.toks[p.pos], true
}

// parseQuery parses q; it never fails, as Gmail never rejects a search.
func parseQuery(q string) gmailQuery {
	p := &qparser{toks: lexQuery(q)}
	var all qAnd
	for p.pos < len(p.toks) {
		if n := p.and(""); len(n) > 0 {
			all = append(all, n...)
		}
		if t, ok := p.peek(); ok && (t.kind == tkRParen || t.kind == tkRBrace) {
			p.pos++ // a stray closer
		}
	}
	if len(all) == 0 {
		return gmailQuery{}
	}
	return gmailQuery{root: all}
}

// and parses terms up to a closer or the end; field is the operator a group applies to.
func (p *qparser) and(field string) qAnd {
	var items qAnd
	for {
		t, ok := p.peek()
		if !ok || t.kind == tkRParen || t.kind == tkRBrace {
			return items
		}
		if t.kind == tkAnd || t.kind == tkOr {
			p.pos++
			continue
		}
		items = append(items, p.or(field))
	}
}

func (p *qparser) or(field string) qnode {
	left := p.unary(field)
	alts := qOr{left}
	for {
		t, ok := p.peek()
		if !ok || t.kind != tkOr {
			break
		}
		p.pos++
		if t, ok := p.peek(); !ok || t.kind == tkRParen || t.kind == tkRBrace {
			break
		}
		alts = append(alts, p.unary(field))
	}
	if len(alts) == 1 {
		return left
	}
	return alts
}

func (p *qparser) unary(field string) qnode {
	if t, _ := p.peek(); t.kind == tkMinus {
		p.pos++
		if _, ok := p.peek(); !ok {
			return qAnd{}
		}
		return qNot{p.unary(field)}
	}
	return p.primary(field)
}

func (p *qparser) primary(field string) qnode {
	t, _ := p.peek()
	p.pos++
	switch t.kind {
	case tkLParen:
		n := p.and(field)
		p.closeWith(tkRParen)
		return n
	case tkLBrace:
		var alts qOr
		for {
			c, ok := p.peek()
			if !ok || c.kind == tkRBrace || c.kind == tkRParen {
				break
			}
			if c.kind == tkOr || c.kind == tkAnd {
				p.pos++
				continue
			}
			alts = append(alts, p.unary(field))
		}
		p.closeWith(tkRBrace)
		return alts
	case tkField:
		v, ok := p.peek()
		switch {
		case ok && v.kind == tkWord:
			p.pos++
			return qTerm{field: t.text, value: v.text}
		case ok && (v.kind == tkLParen || v.kind == tkLBrace):
			return p.primary(t.text)
		}
		return qTerm{field: field, value: t.text}
	case tkWord:
		return qTerm{field: field, value: t.text}
	}
	return qAnd{} // a stray token matches everything
}

func (p *qparser) closeWith(kind int) {
	if t, ok := p.peek(); ok && t.kind == kind {
		p.pos++
	}
}

// searchDoc holds a message's searchable words.
type searchDoc struct {
	subject, from, to, cc, bcc, body, list, deliveredTo []string
	filenames                                           []string
}

// tokens splits text into lower-case words of letters and digits.
func tokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
}

// hasPhrase reports whether the words of phrase occur consecutively in words.
func hasPhrase(words []string, phrase string) bool {
	want := tokens(phrase)
	if len(want) == 0 {
		return true
	}
	for i := 0; i+len(want) <= len(words); i++ {
		if slices.Equal(words[i:i+len(want)], want) {
			return true
		}
	}
	return false
}

func (m *gmMessage) doc() *searchDoc {
	if m.search == nil {
		d := &searchDoc{subject: tokens(m.header("Subject")), from: tokens(m.header("From")),
			to: tokens(m.header("To")), cc: tokens(m.header("Cc")), bcc: tokens(m.header("Bcc")),
			body: tokens(m.root.bodyText()), list: tokens(m.header("List-Id")), deliveredTo: tokens(m.header("Delivered-To"))}
		m.root.walk(func(p *mimePart) {
			if p.isAttachment() {
				d.filenames = append(d.filenames, strings.ToLower(p.filename))
			}
		})
		m.search = d
	}
	return m.search
}

func (t qTerm) match(e *qenv) bool {
	m, d, v := e.m, e.m.doc(), strings.ToLower(t.value)
	addr := func(words ...[]string) bool {
		if v == "me" {
			v = e.mb.email
		}
		return slices.ContainsFunc(words, func(w []string) bool { return hasPhrase(w, v) })
	}
	switch t.field {
	case "":
		return addr(d.subject, d.from, d.to, d.cc, d.body) ||
			slices.ContainsFunc(d.filenames, func(f string) bool { return hasPhrase(tokens(f), v) })
	case "from":
		return addr(d.from)
	case "to":
		return addr(d.to, d.cc, d.bcc)
	case "cc":
		return addr(d.cc)
	case "bcc":
		return addr(d.bcc)
	case "subject":
		return hasPhrase(d.subject, v)
	case "list":
		return hasPhrase(d.list, v)
	case "deliveredto":
		return addr(d.deliveredTo)
	case "label":
		return slices.ContainsFunc(e.mb.labelsNamed(v), m.hasLabel)
	case "in":
		switch v {
		case "anywhere":
			return true
		case "drafts":
			return m.hasLabel("DRAFT")
		}
		return slices.ContainsFunc(e.mb.labelsNamed(v), m.hasLabel)
	case "is":
		switch v {
		case "unread":
			return m.hasLabel("UNREAD")
		case "read":
			return !m.hasLabel("UNREAD")
		case "starred":
			return m.hasLabel("STARRED")
		case "unstarred":
			return !m.hasLabel("STARRED")
		case "important":
			return m.hasLabel("IMPORTANT")
		case "unimportant":
			return !m.hasLabel("IMPORTANT")
		}
		return false
	case "has":
		switch v {
		case "attachment":
			return len(d.filenames) > 0
		case "userlabels":
			return slices.ContainsFunc(m.labels, func(l string) bool { return e.mb.labels[l] != nil })
		case "nouserlabels":
			return !slices.ContainsFunc(m.labels, func(l string) bool { return e.mb.labels[l] != nil })
		}
		return false
	case "filename":
		return slices.ContainsFunc(d.filenames, func(f string) bool {
			return f == v || strings.HasSuffix(f, "."+v) || hasPhrase(tokens(f), v)
		})
	case "category":
		cat := "CATEGORY_" + strings.ToUpper(v)
		if v == "primary" {
			cat = "CATEGORY_PERSONAL"
		}
		return m.hasLabel(cat)
	case "rfc822msgid":
		return strings.Trim(m.header("Message-ID"), "<>") == strings.Trim(t.value, "<>")
	case "newer_than", "older_than":
		since, ok := relativeTime(e.now, v)
		if !ok {
			return false
		}
		if t.field == "newer_than" {
			return m.internalDate.After(since)
		}
		return m.internalDate.Before(since)
	case "after", "newer", "before", "older":
		at, ok := queryDate(v)
		if !ok {
			return false
		}
		if t.field == "after" || t.field == "newer" {
			return !m.internalDate.Before(at)
		}
		return m.internalDate.Before(at)
	case "larger", "smaller":
		n, ok := querySize(v)
		if !ok {
			return false
		}
		if t.field == "larger" {
			return len(m.raw) > n
		}
		return len(m.raw) < n
	}
	return false
}

// relativeTime parses newer_than/older_than values: 2d, 3m, 1y.
func relativeTime(now time.Time, v string) (time.Time, bool) {
	if len(v) < 2 {
		return time.Time{}, false
	}
	n, err := strconv.Atoi(v[:len(v)-1])
	if err != nil || n < 0 {
		return time.Time{}, false
	}
	switch v[len(v)-1] {
	case 'd':
		return now.AddDate(0, 0, -n), true
	case 'm':
		return now.AddDate(0, -n, 0), true
	case 'y':
		return now.AddDate(-n, 0, 0), true
	}
	return time.Time{}, false
}

// queryDate parses after:/before: values: YYYY/MM/DD, YYYY-MM-DD, MM/DD/YYYY or epoch seconds.
func queryDate(v string) (time.Time, bool) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && len(v) > 8 {
		return time.Unix(n, 0), true
	}
	for _, layout := range []string{"2006/1/2", "2006-1-2", "1/2/2006"} {
		if t, err := time.ParseInLocation(layout, v, gmailQueryZone); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// querySize parses larger:/smaller: values: bytes, or with a K or M suffix.
func querySize(v string) (int, bool) {
	mult := 1
	switch {
	case strings.HasSuffix(v, "k"):
		mult, v = 1<<10, v[:len(v)-1]
	case strings.HasSuffix(v, "m"):
		mult, v = 1<<20, v[:len(v)-1]
	}
	n, err := strconv.Atoi(v)
	return n * mult, err == nil && n >= 0
}
