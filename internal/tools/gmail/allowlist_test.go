package gmail

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/tools/toolstest"
)

// elicitor is a client-side elicitation handler that answers as scripted and records
// what it was asked.
type elicitor struct {
	mu      sync.Mutex
	asked   []string
	action  string         // accept, decline, cancel
	content map[string]any // the form answer with accept
}

func (e *elicitor) handle(_ context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.asked = append(e.asked, req.Params.Message)
	return &mcp.ElicitResult{Action: e.action, Content: e.content}, nil
}

func (e *elicitor) questions() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.asked)
}

func received(env *toolstest.Env, mailbox, subject string) bool {
	for _, m := range env.Sandbox.GmailMessages(mailbox) {
		if m.Header("Subject") == subject && !m.HasLabel("DRAFT") {
			return true
		}
	}
	return false
}

func TestManageAllowList(t *testing.T) {
	env, cs := aliceSession(t, nil)
	var out AllowListOutput
	toolstest.OK(t, cs, "manage_gmail_allow_list", map[string]any{"action": "view"}, &out)
	if out.IsConfigured || out.Count != 0 {
		t.Errorf("fresh list = %+v", out)
	}
	toolstest.OK(t, cs, "manage_gmail_allow_list", map[string]any{"action": "add",
		"email": []string{"Bob <BOB@sandbox.example>, carol@sandbox.example", carol}}, &out)
	if !slices.Equal(out.Added, []string{bob, carol}) || out.Count != 2 || !out.IsConfigured {
		t.Errorf("add = %+v", out)
	}
	out = AllowListOutput{}
	toolstest.OK(t, cs, "manage_gmail_allow_list", map[string]any{"action": "add", "email": []string{bob}}, &out)
	if len(out.Added) != 0 || !slices.Equal(out.Unchanged, []string{bob}) {
		t.Errorf("add again = %+v", out)
	}
	out = AllowListOutput{}
	toolstest.OK(t, cs, "manage_gmail_allow_list", map[string]any{"action": "remove", "email": []string{carol, dave}}, &out)
	if !slices.Equal(out.Removed, []string{carol}) || !slices.Equal(out.Unchanged, []string{dave}) ||
		!slices.Equal(out.AllowedEmails, []string{bob}) {
		t.Errorf("remove = %+v", out)
	}
	for name, args := range map[string]map[string]any{
		"bad action":   {"action": "clear"},
		"no email":     {"action": "add"},
		"not an email": {"action": "add", "email": []string{"bob"}},
		"injection":    {"action": "add", "email": []string{"a@b.example\r\nx"}},
	} {
		t.Run(name, func(t *testing.T) { toolstest.Fails(t, cs, "manage_gmail_allow_list", args) })
	}

	t.Run("per principal", func(t *testing.T) {
		other := identity.Principal{Subject: "oauth-other", Email: alice, Kind: identity.KindOAuth}
		env.Link(t, other, alice, true)
		cs2 := env.Connect(t, other)
		var o AllowListOutput
		toolstest.OK(t, cs2, "manage_gmail_allow_list", map[string]any{"action": "view"}, &o)
		if o.Count != 0 {
			t.Errorf("another principal sees %v", o.AllowedEmails)
		}
		// The list is stored under a hash of the principal, never its subject.
		keys, err := env.KV.List(context.Background(), "gmail/")
		if err != nil || len(keys) != 1 || strings.Contains(keys[0], "local:test") {
			t.Errorf("keys = %v, %v", keys, err)
		}
	})

	t.Run("no store", func(t *testing.T) {
		env2 := newEnvNoKV(t)
		env2.Authorize(t, alice, allScopes...)
		cs := env2.Connect(t, identity.Principal{})
		wantContains(t, "no store", toolstest.Fails(t, cs, "manage_gmail_allow_list", map[string]any{"action": "view"}), "not available")
		// With no store there is no list, so sending is not restricted.
		toolstest.OK(t, cs, "send_gmail_message", map[string]any{"to": []string{bob}, "subject": "free", "body": "x"}, nil)
	})
}

func newEnvNoKV(t *testing.T) *toolstest.Env {
	t.Helper()
	env := toolstest.New(t)
	env.Deps.KV = nil
	Register(env.Registry, env.Deps)
	return env
}

// TestAllowListConfirmation covers sending to a recipient outside a non-empty allow list:
// sent only on an explicit "send", nothing on decline or cancel, a draft when the client
// cannot be asked.
func TestAllowListConfirmation(t *testing.T) {
	setup := func(t *testing.T, answer *elicitor) (*toolstest.Env, *mcp.ClientSession) {
		env := newEnv(t, nil)
		env.Authorize(t, alice, allScopes...)
		var opts *mcp.ClientOptions
		if answer != nil {
			opts = &mcp.ClientOptions{ElicitationHandler: answer.handle}
		}
		cs := connectLegacy(t, env, opts)
		toolstest.OK(t, cs, "manage_gmail_allow_list", map[string]any{"action": "add", "email": []string{carol}}, nil)
		return env, cs
	}
	send := func(subject string, to ...string) map[string]any {
		return map[string]any{"to": to, "subject": subject, "body": "Quarterly numbers inside."}
	}

	t.Run("accepted", func(t *testing.T) {
		ask := &elicitor{action: "accept", content: map[string]any{"action": "send"}}
		env, cs := setup(t, ask)
		var out SendOutput
		toolstest.OK(t, cs, "send_gmail_message", send("accepted", bob, carol), &out)
		if out.Action != "sent" || !slices.Equal(out.RecipientsNotAllowed, []string{bob}) || !received(env, bob, "accepted") {
			t.Errorf("accepted: %+v", out)
		}
		q := ask.questions()
		if len(q) != 1 {
			t.Fatalf("asked %d times", len(q))
		}
		wantContains(t, "question", q[0], bob, "Subject: accepted", "Quarterly numbers inside.")
		if strings.Contains(q[0][:strings.Index(q[0], "\n")], carol) {
			t.Errorf("the allowed recipient is named as not allowed: %q", q[0])
		}
	})

	for _, tc := range []struct {
		name    string
		action  string
		content map[string]any
	}{
		{"declined", "decline", nil},
		{"cancelled", "cancel", nil},
		{"accepted with cancel chosen", "accept", map[string]any{"action": "cancel"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ask := &elicitor{action: tc.action, content: tc.content}
			env, cs := setup(t, ask)
			sentBefore, allBefore := len(env.Sandbox.GmailSent(alice)), len(env.Sandbox.GmailMessages(alice))
			msg := toolstest.Fails(t, cs, "send_gmail_message", send(tc.name, bob))
			wantContains(t, "refusal", msg, "Not sent", bob, "do not retry")
			if received(env, bob, tc.name) || len(env.Sandbox.GmailSent(alice)) != sentBefore ||
				len(env.Sandbox.GmailMessages(alice)) != allBefore {
				t.Error("something was sent or saved")
			}
			if len(ask.questions()) != 1 {
				t.Errorf("asked %d times", len(ask.questions()))
			}
		})
	}

	t.Run("save draft chosen", func(t *testing.T) {
		ask := &elicitor{action: "accept", content: map[string]any{"action": "save_draft"}}
		env, cs := setup(t, ask)
		var out SendOutput
		toolstest.OK(t, cs, "send_gmail_message", send("chosen draft", bob), &out)
		if out.Action != "saved_draft" || out.DraftID == "" || received(env, bob, "chosen draft") {
			t.Errorf("save_draft: %+v", out)
		}
	})

	t.Run("unsupported client gets a draft", func(t *testing.T) {
		env, cs := setup(t, nil)
		var out SendOutput
		toolstest.OK(t, cs, "send_gmail_message", send("no elicitation", bob), &out)
		if out.Action != "saved_draft" || out.DraftID == "" || received(env, bob, "no elicitation") {
			t.Fatalf("unsupported: %+v", out)
		}
		wantContains(t, "message", out.Message, "Not sent", bob, out.DraftID, "cannot ask", "manage_gmail_allow_list")
		d := byID(t, env, alice, out.MessageID)
		if d.DraftID != out.DraftID || !d.HasLabel("DRAFT") {
			t.Errorf("draft in mailbox: %+v", d.LabelIDs)
		}
	})

	t.Run("newest protocol client gets a draft", func(t *testing.T) {
		// On protocol 2026-07-28 a server may not send its own elicitation requests during a
		// call; until tools can return input requests, such clients get the draft path.
		env := newEnv(t, nil)
		env.Authorize(t, alice, allScopes...)
		ask := &elicitor{action: "accept", content: map[string]any{"action": "send"}}
		cs := env.ConnectWith(t, identity.Principal{}, &mcp.ClientOptions{ElicitationHandler: ask.handle})
		toolstest.OK(t, cs, "manage_gmail_allow_list", map[string]any{"action": "add", "email": []string{carol}}, nil)
		var out SendOutput
		toolstest.OK(t, cs, "send_gmail_message", send("new protocol", bob), &out)
		if out.Action != "saved_draft" || received(env, bob, "new protocol") || len(ask.questions()) != 0 {
			t.Errorf("new protocol: %+v, asked %d", out, len(ask.questions()))
		}
	})

	t.Run("allowed recipients and self need no confirmation", func(t *testing.T) {
		ask := &elicitor{action: "decline"}
		env, cs := setup(t, ask)
		var out SendOutput
		toolstest.OK(t, cs, "send_gmail_message", send("allowed", carol, "me"), &out)
		if out.Action != "sent" || len(ask.questions()) != 0 || !received(env, carol, "allowed") {
			t.Errorf("allowed: %+v, asked %d", out, len(ask.questions()))
		}
		toolstest.OK(t, cs, "manage_gmail_allow_list", map[string]any{"action": "remove", "email": []string{carol}}, nil)
		toolstest.OK(t, cs, "send_gmail_message", send("empty list", bob), &out)
		if out.Action != "sent" || len(ask.questions()) != 0 {
			t.Errorf("an empty list restricted a send: %+v", out)
		}
	})

	t.Run("bcc counts", func(t *testing.T) {
		ask := &elicitor{action: "decline"}
		env, cs := setup(t, ask)
		toolstest.Fails(t, cs, "send_gmail_message", map[string]any{"to": []string{carol}, "bcc": []string{dave},
			"subject": "hidden", "body": "x"})
		if received(env, dave, "hidden") || received(env, carol, "hidden") {
			t.Error("a message with an unconfirmed Bcc went out")
		}
	})

	t.Run("reply and forward are gated", func(t *testing.T) {
		env, cs := setup(t, nil)
		orig := find(t, env, alice, "Lunch on Friday?")
		var r ReplyOutput
		toolstest.OK(t, cs, "reply_to_gmail_message", map[string]any{"message_id": orig.ID, "body": "ok"}, &r)
		if r.Action != "saved_draft" || r.ThreadID != orig.ThreadID || received(env, bob, "Re: Lunch on Friday?") {
			t.Errorf("gated reply: %+v", r)
		}
		if d := byID(t, env, alice, r.MessageID); d.Header("In-Reply-To") != orig.Header("Message-ID") {
			t.Error("the draft of a gated reply lost its threading")
		}
		var f ForwardOutput
		toolstest.OK(t, cs, "forward_gmail_message", map[string]any{"message_id": orig.ID, "to": []string{dave}}, &f)
		if f.Action != "saved_draft" || received(env, dave, "Fwd: Lunch on Friday?") {
			t.Errorf("gated forward: %+v", f)
		}
	})

	t.Run("draft fallback without compose scope sends nothing", func(t *testing.T) {
		env := newEnv(t, nil)
		env.Authorize(t, alice, ScopeSend)
		cs := connectLegacy(t, env, nil)
		toolstest.OK(t, cs, "manage_gmail_allow_list", map[string]any{"action": "add", "email": []string{carol}}, nil)
		msg := toolstest.Fails(t, cs, "send_gmail_message", send("no compose", bob))
		wantContains(t, "error", msg, "Not sent", "draft instead failed")
		if received(env, bob, "no compose") {
			t.Error("sent without confirmation")
		}
	})
}
