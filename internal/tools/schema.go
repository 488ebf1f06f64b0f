package tools

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
)

// Strict infers the JSON schema of T for strict clients: the SDK's inference makes a slice
// {"type": ["null", "array"]} and a pointer ["null", T], union types such clients refuse, so
// every "null" alternative is removed (a field is absent rather than null when unset). Add
// uses it for every tool whose schemas are not set; it panics on a programming error, which
// every test that builds the registry catches.
func Strict[T any]() *jsonschema.Schema {
	s, err := jsonschema.For[T](&jsonschema.ForOptions{})
	if err != nil {
		panic(fmt.Sprintf("tools: schema of %T: %v", *new(T), err))
	}
	makeStrict(s)
	return s
}

func makeStrict(s *jsonschema.Schema) {
	if s == nil {
		return
	}
	if len(s.Types) > 0 {
		kept := slices.DeleteFunc(slices.Clone(s.Types), func(t string) bool { return t == "null" })
		if len(kept) == 1 {
			s.Type, s.Types = kept[0], nil
		} else {
			s.Types = kept
		}
	}
	for _, p := range s.Properties {
		makeStrict(p)
	}
	makeStrict(s.Items)
	makeStrict(s.AdditionalProperties)
	for _, d := range s.Defs {
		makeStrict(d)
	}
}

// schemaFor is Strict[T] with defaults, the enums that name its properties, and the values of
// fields tagged `enum:"a,b"`.
func schemaFor[T any](defaults map[string]any, enums map[string][]any) *jsonschema.Schema {
	s := InputSchema[T](defaults)
	for name, values := range enumTags(reflect.TypeFor[T]()) {
		Enum(s, name, values...)
	}
	for name, values := range enums {
		if _, ok := s.Properties[name]; ok {
			Enum(s, name, values...)
		}
	}
	return s
}

// enumTags returns the allowed values of top-level struct fields tagged `enum:"a,b"`, by
// JSON name (embedded structs flattened, as encoding/json does).
func enumTags(t reflect.Type) map[string][]any {
	out := map[string][]any{}
	if t.Kind() != reflect.Struct {
		return out
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			maps.Copy(out, enumTags(f.Type))
			continue
		}
		e := f.Tag.Get("enum")
		if e == "" {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		for _, v := range strings.Split(e, ",") {
			out[name] = append(out[name], strings.TrimSpace(v))
		}
	}
	return out
}

// InputSchema is Strict[T] with default values for top-level properties. The SDK applies
// schema defaults before decoding, so a boolean whose default is true needs no pointer. A
// property with a default stops being required.
func InputSchema[T any](defaults map[string]any) *jsonschema.Schema {
	s := Strict[T]()
	for name, v := range defaults {
		p, ok := s.Properties[name]
		if !ok {
			panic(fmt.Sprintf("tools: schema of %T has no property %q", *new(T), name))
		}
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		p.Default = b
		s.Required = slices.DeleteFunc(s.Required, func(r string) bool { return r == name })
	}
	return s
}

// Enum restricts a top-level property of s to values and returns s.
func Enum(s *jsonschema.Schema, property string, values ...any) *jsonschema.Schema {
	p, ok := s.Properties[property]
	if !ok {
		panic(fmt.Sprintf("tools: schema has no property %q", property))
	}
	p.Enum = values
	return s
}

// Unions lists the places in s where a schema allows more than one JSON type, or an array
// has no items: what strict clients refuse. Tool tests assert it is empty.
func Unions(s *jsonschema.Schema) []string {
	var out []string
	var walk func(path string, s *jsonschema.Schema)
	walk = func(path string, s *jsonschema.Schema) {
		if s == nil {
			return
		}
		if len(s.Types) > 1 || len(s.AnyOf) > 0 || len(s.OneOf) > 0 {
			out = append(out, path+": union type")
		}
		if (s.Type == "array" || slices.Contains(s.Types, "array")) && s.Items == nil {
			out = append(out, path+": array without items")
		}
		for name, p := range s.Properties {
			walk(path+"."+name, p)
		}
		walk(path+"[]", s.Items)
		walk(path+"{}", s.AdditionalProperties)
		for name, d := range s.Defs {
			walk(path+"#"+name, d)
		}
	}
	walk("$", s)
	slices.Sort(out)
	return out
}

// SchemaJSON decodes a JSON schema a client received (tests of strictness).
type SchemaJSON struct{ s jsonschema.Schema }

// UnmarshalJSON implements json.Unmarshaler.
func (j *SchemaJSON) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, &j.s) }

// Schema returns the decoded schema.
func (j *SchemaJSON) Schema() *jsonschema.Schema { return &j.s }
