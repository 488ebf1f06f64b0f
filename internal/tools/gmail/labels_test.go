package gmail

import (
	"slices"
	"strings"
	"testing"

	"github.com/gwmcp/gwmcp/internal/identity"
	"github.com/gwmcp/gwmcp/internal/sandbox"
	"github.com/gwmcp/gwmcp/internal/tools/toolstest"
)

func TestLabels(t *testing.T) {
	env, cs := aliceSession(t, nil)
	var list ListLabelsOutput
	toolstest.OK(t, cs, "list_gmail_labels", map[string]any{}, &list)
	byName := map[string]Label{}
	for _, l := range list.Labels {
		byName[l.Name] = l
	}
	if byName["INBOX"].Type != "system" || byName["Projects"].Type != "user" || byName["Projects"].BackgroundColor != "#16a765" ||
		list.UserCount != 2 || list.TotalCount != list.SystemCount+list.UserCount {
		t.Fatalf("labels = %+v", list)
	}

	var created ManageLabelOutput
	toolstest.OK(t, cs, "manage_gmail_label", map[string]any{"action": "create", "name": []string{"Travel", "Travel/2026"},
		"background_color": "#4A86E8"}, &created)
	if len(created.Results) != 2 || !created.Results[0].Success || !created.Results[1].Success {
		t.Fatalf("create = %+v", created)
	}
	travel := created.Results[0].LabelID
	if got := env.Sandbox.GmailLabels(alice); len(got) != 4 || got[2].Name != "Travel" {
		t.Errorf("sandbox labels = %+v", got)
	}

	var upd ManageLabelOutput
	toolstest.OK(t, cs, "manage_gmail_label", map[string]any{"action": "update", "label_id": []string{travel},
		"name": []string{"Trips"}, "text_color": "#ffffff"}, &upd)
	toolstest.OK(t, cs, "list_gmail_labels", map[string]any{}, &list)
	for _, l := range list.Labels {
		if l.ID == travel && (l.Name != "Trips" || l.TextColor != "#ffffff" || l.BackgroundColor != "#4a86e8") {
			t.Errorf("updated label = %+v (background kept, text changed)", l)
		}
	}

	t.Run("partial failure is per label", func(t *testing.T) {
		var out ManageLabelOutput
		toolstest.OK(t, cs, "manage_gmail_label", map[string]any{"action": "create", "name": []string{"Fresh", "Projects"}}, &out)
		if !out.Results[0].Success || out.Results[1].Success || !strings.Contains(out.Results[1].Error, "409") {
			t.Errorf("results = %+v", out.Results)
		}
	})

	t.Run("modify message labels", func(t *testing.T) {
		m := find(t, env, alice, "Lunch on Friday?")
		var out ModifyLabelsOutput
		toolstest.OK(t, cs, "modify_gmail_message_labels", map[string]any{"message_id": m.ID,
			"add_label_ids": []string{"Trips", "STARRED"}, "remove_label_ids": []string{"UNREAD"}}, &out)
		got := byID(t, env, alice, m.ID)
		if !got.HasLabel(travel) || !got.HasLabel("STARRED") || got.HasLabel("UNREAD") || !slices.Contains(out.LabelIDs, travel) {
			t.Errorf("labels now %v (out %+v)", got.LabelIDs, out)
		}
		wantContains(t, "unknown label name", toolstest.Fails(t, cs, "modify_gmail_message_labels",
			map[string]any{"message_id": m.ID, "add_label_ids": []string{"No Such Label"}}), "no label")
		wantContains(t, "unknown id", toolstest.Fails(t, cs, "modify_gmail_message_labels",
			map[string]any{"message_id": m.ID, "add_label_ids": []string{"Label_99"}}), "400")
		toolstest.Fails(t, cs, "modify_gmail_message_labels", map[string]any{"message_id": m.ID})
		wantContains(t, "unknown message", toolstest.Fails(t, cs, "modify_gmail_message_labels",
			map[string]any{"message_id": "ffffffffffffff00", "add_label_ids": []string{"STARRED"}}), "404")
	})

	t.Run("delete", func(t *testing.T) {
		var out ManageLabelOutput
		toolstest.OK(t, cs, "manage_gmail_label", map[string]any{"action": "delete", "label_id": []string{travel}}, &out)
		if !out.Results[0].Success || out.Results[0].Name != "Trips" {
			t.Errorf("delete = %+v", out)
		}
		for _, l := range env.Sandbox.GmailLabels(alice) {
			if l.ID == travel {
				t.Error("label still there")
			}
		}
		wantContains(t, "again", toolstest.Fails(t, cs, "manage_gmail_label", map[string]any{"action": "delete", "label_id": []string{travel}}), "404")
		wantContains(t, "system", toolstest.Fails(t, cs, "manage_gmail_label", map[string]any{"action": "delete", "label_id": []string{"INBOX"}}), "400")
	})

	t.Run("bad arguments", func(t *testing.T) {
		for name, args := range map[string]map[string]any{
			"create without name":   {"action": "create"},
			"update without id":     {"action": "update", "name": []string{"x"}},
			"update with no change": {"action": "update", "label_id": []string{"Label_1"}},
			"bad colour":            {"action": "create", "name": []string{"x"}, "text_color": "red"},
			"bad action":            {"action": "rename"},
			"too many":              {"action": "create", "name": slices.Repeat([]string{"n"}, 51)},
		} {
			t.Run(name, func(t *testing.T) { toolstest.Fails(t, cs, "manage_gmail_label", args) })
		}
	})

	t.Run("quota", func(t *testing.T) {
		env.Sandbox.FailAPI("gmail", 5, sandbox.APIFailure{Status: 429})
		wantContains(t, "error", toolstest.Fails(t, cs, "list_gmail_labels", map[string]any{}), "rate-limiting")
	})
}

func TestFilters(t *testing.T) {
	env, cs := aliceSession(t, nil)
	var list ListFiltersOutput
	toolstest.OK(t, cs, "list_gmail_filters", map[string]any{}, &list)
	if list.Count != 1 || list.Filters[0].Criteria.FromAddress != "receipts@store.example" ||
		!slices.Contains(list.Filters[0].Action.RemoveLabelIDs, "INBOX") {
		t.Fatalf("filters = %+v", list)
	}

	var created CreateFilterOutput
	toolstest.OK(t, cs, "create_gmail_filter", map[string]any{"from_address": "ci@builds.example", "subject_contains": "failed",
		"add_label_ids": []string{"Projects"}, "mark_as_important": true}, &created)
	f := created.Filter
	if f.ID == "" || f.Criteria.FromAddress != "ci@builds.example" || !slices.Contains(f.Action.AddLabelIDs, "IMPORTANT") ||
		!slices.Contains(f.Action.AddLabelIDs, "Label_1") {
		t.Fatalf("created = %+v", created)
	}
	if r := created.RetroactiveResults; r == nil || r.TotalFound != 1 || r.ProcessedCount != 1 || r.SkippedReason != "" {
		t.Errorf("retroactive = %+v", created.RetroactiveResults)
	}
	if failed := find(t, env, alice, "Build #110 failed"); !failed.HasLabel("Label_1") {
		t.Errorf("existing mail not relabelled: %v", failed.LabelIDs)
	}
	if passed := find(t, env, alice, "Build #111 passed"); passed.HasLabel("Label_1") {
		t.Error("a non-matching message was relabelled")
	}

	var got Filter
	toolstest.OK(t, cs, "get_gmail_filter", map[string]any{"filter_id": f.ID}, &got)
	if got.ID != f.ID || got.Criteria.Subject != "failed" {
		t.Errorf("get = %+v", got)
	}
	var del DeleteFilterOutput
	toolstest.OK(t, cs, "delete_gmail_filter", map[string]any{"filter_id": f.ID}, &del)
	if !del.Deleted || del.Filter.ID != f.ID {
		t.Errorf("delete = %+v", del)
	}
	wantContains(t, "gone", toolstest.Fails(t, cs, "get_gmail_filter", map[string]any{"filter_id": f.ID}), "404")
	wantContains(t, "delete again", toolstest.Fails(t, cs, "delete_gmail_filter", map[string]any{"filter_id": f.ID}), "404")

	t.Run("bad arguments", func(t *testing.T) {
		for name, args := range map[string]map[string]any{
			"no criteria":        {"add_label_ids": []string{"STARRED"}},
			"no action":          {"from_address": "x@example.com"},
			"size without cmp":   {"size": 1000, "add_label_ids": []string{"STARRED"}},
			"bad cmp":            {"size": 1000, "size_comparison": "bigger", "add_label_ids": []string{"STARRED"}},
			"unknown label name": {"from_address": "x@example.com", "add_label_ids": []string{"Nope"}},
		} {
			t.Run(name, func(t *testing.T) { toolstest.Fails(t, cs, "create_gmail_filter", args) })
		}
		toolstest.Fails(t, cs, "get_gmail_filter", map[string]any{"filter_id": ""})
	})

	t.Run("without modify the filter is created and existing mail left", func(t *testing.T) {
		env := newEnv(t, nil)
		env.Authorize(t, alice, ScopeSettingsBasic)
		cs := env.Connect(t, identity.Principal{})
		var out CreateFilterOutput
		toolstest.OK(t, cs, "create_gmail_filter", map[string]any{"from_address": "bob@sandbox.example",
			"add_label_ids": []string{"Label_1"}}, &out)
		if out.Filter.ID == "" || out.RetroactiveResults == nil || !strings.Contains(out.RetroactiveResults.SkippedReason, "gmail.modify") {
			t.Errorf("created = %+v", out)
		}
	})
}
