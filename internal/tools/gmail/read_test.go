package gmail

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/scopes"
	"github.com/gwmcp/gwmcp/internal/tools"
	"github.com/gwmcp/gwmcp/internal/tools/toolstest"
)

// TestToolSet checks the tool list against the Python server's names, the tiers and scopes
// of the brief, and that every input and output schema is safe for strict clients: no
// property with two JSON types, every array with items.
func TestToolSet(t *testing.T) {
	env, cs := aliceSession(t, nil)
	want := map[string]struct {
		tier   tools.Tier
		scopes []string
	}{
		"search_gmail_messages":            {tools.Core, []string{ScopeReadonly}},
		"get_gmail_message_content":        {tools.Core, []string{ScopeReadonly}},
		"get_gmail_messages_content_batch": {tools.Core, []string{ScopeReadonly}},
		"send_gmail_message":               {tools.Core, []string{ScopeSend}},
		"reply_to_gmail_message":           {tools.Core, []string{ScopeReadonly, ScopeSend}},
		"get_gmail_thread_content":         {tools.Extended, []string{ScopeReadonly}},
		"draft_gmail_message":              {tools.Extended, []string{ScopeCompose}},
		"draft_gmail_reply":                {tools.Extended, []string{ScopeReadonly, ScopeCompose}},
		"forward_gmail_message":            {tools.Extended, []string{ScopeReadonly, ScopeSend}},
		"draft_gmail_forward":              {tools.Extended, []string{ScopeReadonly, ScopeCompose}},
		"list_gmail_labels":                {tools.Extended, []string{ScopeLabels}},
		"manage_gmail_label":               {tools.Extended, []string{ScopeLabels}},
		"modify_gmail_message_labels":      {tools.Extended, []string{ScopeModify}},
		"download_gmail_attachment":        {tools.Extended, []string{ScopeReadonly}},
		"list_gmail_filters":               {tools.Complete, []string{ScopeSettingsBasic}},
		"create_gmail_filter":              {tools.Complete, []string{ScopeSettingsBasic}},
		"get_gmail_filter":                 {tools.Complete, []string{ScopeSettingsBasic}},
		"delete_gmail_filter":              {tools.Complete, []string{ScopeSettingsBasic}},
		"manage_gmail_allow_list":          {tools.Complete, nil},
	}
	names := env.Registry.Names()
	if len(names) != len(want) {
		t.Errorf("registered %d tools %v, want %d", len(names), names, len(want))
	}
	for _, n := range names {
		spec, _ := env.Registry.Spec(n)
		w, ok := want[n]
		if !ok {
			t.Errorf("unexpected tool %s", n)
			continue
		}
		if spec.Tier != w.tier || !slices.Equal(spec.Scopes, w.scopes) || spec.Service != "gmail" {
			t.Errorf("%s: tier %v scopes %v service %q, want %v %v gmail", n, spec.Tier, spec.Scopes, spec.Service, w.tier, w.scopes)
		}
		if n == "manage_gmail_allow_list" {
			continue // no Google call: gwmcp's own setting
		}
		if err := scopes.Check(spec.Scopes); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tools) != len(want) {
		t.Errorf("the server offers %d tools, want %d", len(res.Tools), len(want))
	}
	byName := map[string]*mcp.Tool{}
	for _, tool := range res.Tools {
		byName[tool.Name] = tool
		if tool.Description == "" || tool.Annotations == nil || tool.Annotations.OpenWorldHint == nil {
			t.Errorf("%s: missing description or annotations", tool.Name)
		}
		checkSchema(t, tool.Name+" input", tool.InputSchema)
		if tool.OutputSchema == nil {
			t.Errorf("%s has no output schema", tool.Name)
		}
		checkSchema(t, tool.Name+" output", tool.OutputSchema)
	}
	// Allowed values and the Python server's defaults are in the schemas.
	prop := func(tool, dir, name string) map[string]any {
		s := byName[tool].InputSchema
		if dir == "output" {
			s = byName[tool].OutputSchema
		}
		b, _ := json.Marshal(s)
		var m struct{ Properties map[string]map[string]any }
		_ = json.Unmarshal(b, &m)
		return m.Properties[name]
	}
	for _, c := range []struct{ tool, dir, name, key, want string }{
		{"send_gmail_message", "input", "content_type", "enum", `["plain","html","mixed"]`},
		{"send_gmail_message", "input", "to", "default", `["myself"]`},
		{"send_gmail_message", "output", "action", "enum", `["sent","saved_draft"]`},
		{"search_gmail_messages", "input", "page_size", "default", `10`},
		{"reply_to_gmail_message", "input", "reply_mode", "default", `"sender_only"`},
		{"draft_gmail_reply", "input", "reply_mode", "enum", `["sender_only","reply_all","custom"]`},
		{"manage_gmail_allow_list", "input", "action", "enum", `["view","add","remove"]`},
	} {
		b, _ := json.Marshal(prop(c.tool, c.dir, c.name)[c.key])
		if string(b) != c.want {
			t.Errorf("%s %s %s.%s = %s, want %s", c.tool, c.dir, c.name, c.key, b, c.want)
		}
	}
}

func checkSchema(t *testing.T, where string, s any) {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	walkSchema(t, where, m)
}

func walkSchema(t *testing.T, where string, m map[string]any) {
	t.Helper()
	switch ty := m["type"].(type) {
	case string:
		if ty == "array" {
			items, ok := m["items"].(map[string]any)
			if !ok {
				t.Errorf("%s: array without items", where)
			} else {
				walkSchema(t, where+"[]", items)
			}
		}
	default:
		t.Errorf("%s: type %v is not one JSON type", where, m["type"])
	}
	for _, k := range []string{"anyOf", "oneOf", "allOf"} {
		if _, ok := m[k]; ok {
			t.Errorf("%s: union %s", where, k)
		}
	}
	if props, ok := m["properties"].(map[string]any); ok {
		for name, p := range props {
			walkSchema(t, where+"."+name, p.(map[string]any))
		}
	}
}

func TestSearch(t *testing.T) {
	env, cs := aliceSession(t, nil)
	var out SearchOutput
	toolstest.OK(t, cs, "search_gmail_messages", map[string]any{"query": "from:carol@sandbox.example has:attachment"}, &out)
	subjects := map[string]MessageSummary{}
	for _, m := range out.Messages {
		subjects[m.Subject] = m
	}
	inv, ok := subjects["March invoice and usage report"]
	if !ok || len(out.Messages) != 2 {
		t.Fatalf("search found %+v, want the invoice and the team photo", out.Messages)
	}
	if !slices.Contains(inv.LabelNames, "Receipts") || !slices.Contains(inv.Labels, "STARRED") || inv.ThreadID == "" ||
		!strings.Contains(inv.Sender, "carol@sandbox.example") || inv.Date == "" || !strings.Contains(inv.WebURL, inv.ID) {
		t.Errorf("invoice summary = %+v", inv)
	}

	t.Run("pagination", func(t *testing.T) {
		seen := map[string]bool{}
		token := ""
		pages := 0
		for {
			var page SearchOutput
			args := map[string]any{"query": "from:ci@builds.example", "page_size": 5}
			if token != "" {
				args["page_token"] = token
			}
			toolstest.OK(t, cs, "search_gmail_messages", args, &page)
			pages++
			for _, m := range page.Messages {
				if seen[m.ID] {
					t.Errorf("message %s on two pages", m.ID)
				}
				seen[m.ID] = true
			}
			if token = page.NextPageToken; token == "" {
				break
			}
		}
		if len(seen) != 16 || pages != 4 {
			t.Errorf("paged through %d messages in %d pages, want 16 in 4", len(seen), pages)
		}
	})

	t.Run("bad arguments", func(t *testing.T) {
		for _, args := range []map[string]any{
			{"query": "x", "page_size": 101},
			{"query": "x", "page_size": -1},
			{"query": "x", "page_token": "not-a-token"},
		} {
			msg := toolstest.Fails(t, cs, "search_gmail_messages", args)
			if strings.Contains(msg, "goroutine") || msg == "" {
				t.Errorf("%v: %q", args, msg)
			}
		}
		// The schema refuses a missing query and unknown fields before the handler runs.
		toolstest.Fails(t, cs, "search_gmail_messages", map[string]any{})
		toolstest.Fails(t, cs, "search_gmail_messages", map[string]any{"query": "x", "bogus": 1})
	})

	t.Run("quota", func(t *testing.T) {
		env.Sandbox.FailAPI("gmail", 2, sandbox.APIFailure{Status: 429})
		toolstest.OK(t, cs, "search_gmail_messages", map[string]any{"query": "lunch"}, nil) // retried
		env.Sandbox.FailAPI("gmail", 5, sandbox.APIFailure{Status: 429})
		msg := toolstest.Fails(t, cs, "search_gmail_messages", map[string]any{"query": "lunch"})
		wantContains(t, "quota error", msg, "rate-limiting", "429")
	})
}

func TestGetMessage(t *testing.T) {
	env, cs := aliceSession(t, nil)
	inv := find(t, env, alice, "March invoice and usage report")
	var out MessageContent
	toolstest.OK(t, cs, "get_gmail_message_content", map[string]any{"message_id": inv.ID}, &out)
	wantContains(t, "body", out.Body, "Attached are the March invoice")
	if len(out.Attachments) != 2 || out.Attachments[0].Filename != "invoice-march.pdf" || out.Attachments[0].Size != int64(len(sandbox.SeedPDF())) {
		t.Errorf("attachments = %+v", out.Attachments)
	}
	if out.ThreadID != inv.ThreadID || !strings.Contains(out.Sender, "Carol") {
		t.Errorf("message = %+v", out)
	}

	zurich := find(t, env, alice, "Réunion à Zürich — ordre du jour")
	toolstest.OK(t, cs, "get_gmail_message_content", map[string]any{"message_id": zurich.ID}, &out)
	if out.Subject != "Réunion à Zürich — ordre du jour" || !strings.Contains(out.Sender, "José Ñúñez") {
		t.Errorf("non-ASCII headers: subject %q sender %q", out.Subject, out.Sender)
	}
	wantContains(t, "body", out.Body, "réunion à Zürich : café")

	weekly := find(t, env, alice, "Sandbox Weekly #15: what's new")
	toolstest.OK(t, cs, "get_gmail_message_content", map[string]any{"message_id": weekly.ID}, &out)
	wantContains(t, "html-only body", out.Body, "release notes")

	t.Run("not found", func(t *testing.T) {
		msg := toolstest.Fails(t, cs, "get_gmail_message_content", map[string]any{"message_id": "ffffffffffffff00"})
		wantContains(t, "error", msg, "404")
	})
	t.Run("another account's message", func(t *testing.T) {
		// A message id from bob's mailbox means nothing in alice's: Gmail answers not found.
		var id string
		for _, m := range env.Sandbox.GmailMessages(bob) {
			if _, err := findIn(env, alice, m.ID); err != nil {
				id = m.ID
				break
			}
		}
		if id == "" {
			t.Fatal("no message only bob has")
		}
		msg := toolstest.Fails(t, cs, "get_gmail_message_content", map[string]any{"message_id": id})
		wantContains(t, "error", msg, "404")
	})
	t.Run("bad arguments", func(t *testing.T) {
		wantContains(t, "error", toolstest.Fails(t, cs, "get_gmail_message_content", map[string]any{"message_id": " "}), "message_id is required")
		wantContains(t, "error", toolstest.Fails(t, cs, "get_gmail_message_content", map[string]any{"message_id": "not hex!"}), "400")
	})
}

func findIn(env *toolstest.Env, mailbox, id string) (sandbox.GmailMessageInfo, error) {
	for _, m := range env.Sandbox.GmailMessages(mailbox) {
		if m.ID == id {
			return m, nil
		}
	}
	return sandbox.GmailMessageInfo{}, fmt.Errorf("no message %s", id)
}

func TestBatch(t *testing.T) {
	env, cs := aliceSession(t, nil)
	var ids []string
	for _, m := range env.Sandbox.GmailMessages(alice) {
		ids = append(ids, m.ID)
	}
	if len(ids) < 30 {
		t.Fatalf("alice has only %d messages", len(ids))
	}
	unknown := "0000000000000abc"
	req := append(slices.Clone(ids[:len(ids)/2]), unknown)
	req = append(req, ids[len(ids)/2:]...)
	var out BatchOutput
	toolstest.OK(t, cs, "get_gmail_messages_content_batch", map[string]any{"message_ids": req}, &out)
	if out.TotalRequested != len(req) || out.SuccessfulCount != len(ids) || out.FailedCount != 1 || len(out.Messages) != len(req) {
		t.Fatalf("batch: requested %d ok %d failed %d (%d results), want %d/%d/1", out.TotalRequested, out.SuccessfulCount,
			out.FailedCount, len(out.Messages), len(req), len(ids))
	}
	for i, m := range out.Messages {
		if m.ID != req[i] {
			t.Errorf("result %d is %s, want %s (order kept)", i, m.ID, req[i])
		}
		if m.ID == unknown {
			if m.Success || !strings.Contains(m.Error, "404") {
				t.Errorf("unknown id: %+v", m)
			}
		} else if !m.Success || m.Subject == "" || m.Body == "" {
			t.Errorf("%s: %+v", m.ID, m)
		}
	}

	var meta BatchOutput
	toolstest.OK(t, cs, "get_gmail_messages_content_batch", map[string]any{"message_ids": ids[:3], "format": "metadata"}, &meta)
	for _, m := range meta.Messages {
		if m.Body != "" || m.Subject == "" {
			t.Errorf("metadata format: %+v", m)
		}
	}

	for name, args := range map[string]map[string]any{
		"empty":    {"message_ids": []string{}},
		"over 100": {"message_ids": slices.Repeat([]string{ids[0]}, 101)},
		"format":   {"message_ids": ids[:1], "format": "raw"},
	} {
		t.Run(name, func(t *testing.T) { toolstest.Fails(t, cs, "get_gmail_messages_content_batch", args) })
	}
	t.Run("quota fails the call", func(t *testing.T) {
		env.Sandbox.FailAPI("gmail", 5*2, sandbox.APIFailure{Status: 429})
		msg := toolstest.Fails(t, cs, "get_gmail_messages_content_batch", map[string]any{"message_ids": ids[:2]})
		wantContains(t, "error", msg, "rate-limiting")
	})
}

func TestThread(t *testing.T) {
	env, cs := aliceSession(t, nil)
	first := find(t, env, alice, "Q3 Launch plan")
	var out ThreadOutput
	toolstest.OK(t, cs, "get_gmail_thread_content", map[string]any{"thread_id": first.ThreadID}, &out)
	if out.MessageCount != 3 || out.ThreadSubject != "Q3 Launch plan" || len(out.Messages) != 3 {
		t.Fatalf("thread = %+v", out)
	}
	wantContains(t, "first", out.Messages[0].Body, "draft plan for the Q3 launch")
	wantContains(t, "last", out.Messages[2].Body, "GA to August 22nd")
	if out.Messages[1].MessageNumber != 2 || !strings.Contains(out.Messages[1].Sender, "alice") {
		t.Errorf("second message = %+v", out.Messages[1])
	}
	wantContains(t, "unknown thread", toolstest.Fails(t, cs, "get_gmail_thread_content", map[string]any{"thread_id": "00000000000000aa"}), "404")
	toolstest.Fails(t, cs, "get_gmail_thread_content", map[string]any{"thread_id": ""})
}

// TestAccountSelection covers the resolver: another linked account acts when named, an
// unlinked one is refused with how to link it, a missing scope gives an authorization URL.
func TestAccountSelection(t *testing.T) {
	env := newEnv(t, nil)
	env.Authorize(t, alice, allScopes...)
	env.Authorize(t, bob, ScopeReadonly)
	env.Authorize(t, dave, ScopeSend)
	p := identity.Principal{Subject: "oauth-sub-1", Email: alice, Kind: identity.KindOAuth}
	env.Link(t, p, alice, true)
	env.Link(t, p, bob, false)
	env.Link(t, p, dave, false)
	cs := env.Connect(t, p)

	var out SearchOutput
	toolstest.OK(t, cs, "search_gmail_messages", map[string]any{"query": "in:inbox", "user_google_email": bob}, &out)
	for _, m := range out.Messages {
		if _, err := findIn(env, bob, m.ID); err != nil {
			t.Errorf("searching as bob returned %s, which is not in bob's mailbox", m.ID)
		}
	}
	if len(out.Messages) == 0 {
		t.Error("bob's search found nothing")
	}
	toolstest.OK(t, cs, "search_gmail_messages", map[string]any{"query": "Q3"}, &out) // default: alice, the primary
	if len(out.Messages) != 3 {
		t.Errorf("alice's Q3 search found %d", len(out.Messages))
	}
	msg := toolstest.Fails(t, cs, "search_gmail_messages", map[string]any{"query": "x", "user_google_email": carol})
	wantContains(t, "unlinked account", msg, "start_google_auth", carol)
	msg = toolstest.Fails(t, cs, "search_gmail_messages", map[string]any{"query": "x", "user_google_email": dave})
	wantContains(t, "missing scope", msg, "https://gwmcp.test/auth/link", "gmail.readonly")
	msg = toolstest.Fails(t, cs, "send_gmail_message", map[string]any{"subject": "x", "body": "y", "user_google_email": bob})
	wantContains(t, "missing send scope", msg, "https://gwmcp.test/auth/link")
}

// BenchmarkBatchRead reads 40 messages in one get_gmail_messages_content_batch call, through
// MCP, the client factory and the sandbox on loopback.
func BenchmarkBatchRead(b *testing.B) {
	env := toolstest.New(b)
	Register(env.Registry, env.Deps)
	env.Authorize(b, alice, allScopes...)
	cs := env.Connect(b, identity.Principal{})
	var ids []string
	for _, m := range env.Sandbox.GmailMessages(alice)[:40] {
		ids = append(ids, m.ID)
	}
	args := map[string]any{"message_ids": ids}
	b.ReportAllocs()
	for b.Loop() {
		var out BatchOutput
		toolstest.OK(b, cs, "get_gmail_messages_content_batch", args, &out)
		if out.SuccessfulCount != len(ids) {
			b.Fatalf("read %d of %d", out.SuccessfulCount, len(ids))
		}
	}
}
