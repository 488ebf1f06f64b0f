package tools

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
)

type schemaInner struct {
	Tags []string `json:"tags"`
}

type schemaArgs struct {
	Query   string            `json:"query"`
	Limit   *int              `json:"limit,omitempty"`
	IDs     []string          `json:"ids,omitempty"`
	Inner   *schemaInner      `json:"inner,omitempty"`
	Labels  map[string]string `json:"labels,omitempty"`
	Order   string            `json:"order,omitempty" enum:"asc, desc"`
	Archive bool              `json:"archive"`
}

// The SDK's inference gives pointers and slices ["null", T]; Strict must leave one type
// everywhere, nested ones included, and Unions must then find nothing.
func TestStrictRemovesNullUnions(t *testing.T) {
	raw, err := jsonschema.For[schemaArgs](&jsonschema.ForOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(Unions(raw)) == 0 {
		t.Fatal("the inferred schema has no unions: the premise of Strict changed, revisit it")
	}
	s := Strict[schemaArgs]()
	if u := Unions(s); len(u) != 0 {
		t.Fatalf("Strict left unions: %v", u)
	}
	for name, want := range map[string]string{"query": "string", "limit": "integer", "ids": "array", "inner": "object", "labels": "object"} {
		if got := s.Properties[name].Type; got != want {
			t.Errorf("%s: type %q, want %q", name, got, want)
		}
	}
	if got := s.Properties["inner"].Properties["tags"].Type; got != "array" {
		t.Errorf("nested slice: type %q, want array", got)
	}
}

func TestUnionsFindsWhatStrictClientsRefuse(t *testing.T) {
	s := &jsonschema.Schema{Type: "object", Properties: map[string]*jsonschema.Schema{
		"a": {Types: []string{"string", "integer"}},
		"b": {Type: "array"},
		"c": {Type: "object", Properties: map[string]*jsonschema.Schema{"d": {AnyOf: []*jsonschema.Schema{{Type: "string"}}}}},
		"e": {Type: "array", Items: &jsonschema.Schema{Type: "string"}},
	}}
	want := []string{"$.a: union type", "$.b: array without items", "$.c.d: union type"}
	if got := Unions(s); !slices.Equal(got, want) {
		t.Errorf("Unions = %v, want %v", got, want)
	}
}

func TestInputSchemaDefaultsAndEnums(t *testing.T) {
	s := schemaFor[schemaArgs](map[string]any{"archive": true}, map[string][]any{"query": {"x", "y"}, "absent": {"z"}})
	if string(s.Properties["archive"].Default) != "true" {
		t.Errorf("archive default = %s", s.Properties["archive"].Default)
	}
	if slices.Contains(s.Required, "archive") {
		t.Error("a property with a default is still required")
	}
	if !slices.Contains(s.Required, "query") {
		t.Errorf("query should stay required: %v", s.Required)
	}
	if got, _ := json.Marshal(s.Properties["order"].Enum); string(got) != `["asc","desc"]` {
		t.Errorf("enum tag: %s", got)
	}
	if got, _ := json.Marshal(s.Properties["query"].Enum); string(got) != `["x","y"]` {
		t.Errorf("enums map: %s", got)
	}
	if _, ok := s.Properties["absent"]; ok {
		t.Error("an enum for an unknown property added it")
	}
	defer func() {
		if recover() == nil {
			t.Error("a default for an unknown property did not panic")
		}
	}()
	InputSchema[schemaArgs](map[string]any{"nope": 1})
}
