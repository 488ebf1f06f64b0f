package tools

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/google/jsonschema-go/jsonschema"
)

// InputSchema infers the JSON schema of a tool input type and sets default values of its
// top-level properties. The SDK applies schema defaults before decoding, so a boolean whose
// default is true (absent means true) needs no pointer, and pointers would make the schema a
// union with null, which strict clients reject. A property with a default stops being
// required. It panics on a programming error (unknown
// property), which every test that builds the registry catches.
func InputSchema[T any](defaults map[string]any) *jsonschema.Schema {
	s, err := jsonschema.For[T](nil)
	if err != nil {
		panic(fmt.Sprintf("tools: schema of %T: %v", *new(T), err))
	}
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
		// A property with a default is never required: absent means the default.
		s.Required = slices.DeleteFunc(s.Required, func(r string) bool { return r == name })
	}
	return s
}
