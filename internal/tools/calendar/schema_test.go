package calendar

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/gwmcp/gwmcp/internal/scopes"
	"github.com/gwmcp/gwmcp/internal/tools"
	"github.com/gwmcp/gwmcp/internal/tools/toolstest"
)

// walkSchema checks a JSON schema (as the client sees it) for union types and arrays
// without items.
func walkSchema(path string, v any, problems *[]string) {
	switch s := v.(type) {
	case map[string]any:
		if types, ok := s["type"].([]any); ok {
			*problems = append(*problems, fmt.Sprintf("%s: union type %v", path, types))
		}
		for _, k := range []string{"anyOf", "oneOf", "allOf"} {
			if _, ok := s[k]; ok {
				*problems = append(*problems, path+": "+k)
			}
		}
		if s["type"] == "array" && s["items"] == nil {
			*problems = append(*problems, path+": array without items")
		}
		for k, child := range s {
			walkSchema(path+"/"+k, child, problems)
		}
	case []any:
		for i, child := range s {
			walkSchema(fmt.Sprintf("%s[%d]", path, i), child, problems)
		}
	}
}

func TestToolDefinitions(t *testing.T) {
	env := toolstest.New(t)
	Register(env.Registry, env.Deps)
	cs := env.Connect(t, env.Deps.Local)
	want := map[string]struct {
		tier     tools.Tier
		scopes   []string
		readOnly bool
	}{
		"list_calendars":                {tools.Core, []string{scopeCalendarListRO}, true},
		"list_events":                   {tools.Core, []string{scopeEventsRO}, true},
		"create_event":                  {tools.Core, []string{scopeEvents}, false},
		"modify_event":                  {tools.Core, []string{scopeEvents}, false},
		"delete_event":                  {tools.Core, []string{scopeEvents}, false},
		"get_event":                     {tools.Extended, []string{scopeEventsRO}, true},
		"create_calendar":               {tools.Extended, []string{scopeCalendar}, false},
		"query_freebusy":                {tools.Extended, []string{scopeCalendarRO}, true},
		"move_events_between_calendars": {tools.Extended, []string{scopeEvents}, false},
		"bulk_calendar_operations":      {tools.Complete, []string{scopeEvents}, false},
	}
	if got := env.Registry.Names(); len(got) != len(want) {
		t.Fatalf("tools %v, want %d", got, len(want))
	}
	// What a client sees.
	listed, err := cs.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(listed.Tools) != len(want) {
		t.Fatalf("client sees %d tools", len(listed.Tools))
	}
	for _, tool := range listed.Tools {
		w, ok := want[tool.Name]
		if !ok {
			t.Errorf("unexpected tool %s", tool.Name)
			continue
		}
		spec, _ := env.Registry.Spec(tool.Name)
		if spec.Tier != w.tier || !slices.Equal(spec.Scopes, w.scopes) || spec.Service != "calendar" {
			t.Errorf("%s: spec %+v, want tier %v scopes %v", tool.Name, spec, w.tier, w.scopes)
		}
		if err := scopes.Check(spec.Scopes); err != nil {
			t.Errorf("%s: %v", tool.Name, err)
		}
		a := tool.Annotations
		if a == nil || a.ReadOnlyHint != w.readOnly || a.OpenWorldHint == nil || !*a.OpenWorldHint || (!w.readOnly && a.DestructiveHint == nil) {
			t.Errorf("%s: annotations %+v", tool.Name, a)
		}
		if tool.Description == "" || tool.Title == "" {
			t.Errorf("%s: no description or title", tool.Name)
		}
		for kind, sch := range map[string]any{"input": tool.InputSchema, "output": tool.OutputSchema} {
			b, _ := json.Marshal(sch)
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil || m["type"] != "object" {
				t.Errorf("%s %s schema: %s", tool.Name, kind, b)
				continue
			}
			var problems []string
			walkSchema(tool.Name+" "+kind, m, &problems)
			for _, p := range problems {
				t.Error(p)
			}
		}
		in, _ := json.Marshal(tool.InputSchema)
		var m struct {
			Properties map[string]any `json:"properties"`
		}
		_ = json.Unmarshal(in, &m)
		if _, ok := m.Properties["user_google_email"]; !ok {
			t.Errorf("%s: no user_google_email", tool.Name)
		}
	}
	// Registry definitions (what the lead's tooling walks) are the same strict schemas.
	for _, tool := range env.Registry.Tools() {
		var problems []string
		b, _ := json.Marshal(tool.InputSchema)
		var m any
		_ = json.Unmarshal(b, &m)
		walkSchema(tool.Name, m, &problems)
		if tool.InputSchema == nil || tool.OutputSchema == nil || len(problems) > 0 {
			t.Errorf("%s: registry schema %v", tool.Name, problems)
		}
	}
}

func TestTiers(t *testing.T) {
	env := toolstest.New(t)
	Register(env.Registry, env.Deps)
	count := map[tools.Tier]int{}
	for _, n := range env.Registry.Names() {
		s, _ := env.Registry.Spec(n)
		count[s.Tier]++
	}
	if count[tools.Core] != 5 || count[tools.Extended] != 4 || count[tools.Complete] != 1 {
		t.Errorf("tiers %v", count)
	}
}
