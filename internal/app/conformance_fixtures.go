//go:build conformance

package app

// The conformance build (`go build -tags conformance ./cmd/gwmcp`) serves, besides gwmcp's
// own tools, the fixtures the official MCP conformance suite (npm
// @modelcontextprotocol/conformance, pinned in e2e/node/package.json) calls in its server
// scenarios: test_* tools, test:// resources and a resource template, test_* prompts,
// completion and resource subscriptions. They exist only in this build, so the suite can run
// every server scenario against the real server (its transport, authentication, sessions and
// middleware) rather than against a toy. e2e/node/run.sh builds and tests it; a normal build
// compiles fixtures_off.go instead and carries none of this.
//
// The fixtures go straight onto the MCP server, not into the tool registry: the registry
// gives every tool an output schema (gwmcp's tools return structured output), which the
// suite's tools do not have, and resources, prompts and the two server capabilities below
// are not the registry's business. Completion and subscriptions are server options that
// internal/mcpserver does not set (gwmcp has no completions and no resources that change);
// this build answers those methods in a receiving middleware and adds both capabilities to
// the initialize result.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"regexp"
	"sync"
	"syscall"
	"time"

	"github.com/gwmcp/gwmcp/internal/authserver/cimd"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Small media the fixtures return: a 1x1 PNG and a WAV of silence.
const (
	fixturePNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
	fixtureWAV = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA="
)

func mustBase64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic("conformance fixture: bad base64: " + err.Error())
	}
	return b
}

// addConformanceFixtures registers the suite's fixtures on s.
func addConformanceFixtures(s *mcp.Server, log *slog.Logger) {
	f := &fixtures{log: log, subs: map[*mcp.ServerSession]map[string]bool{}}
	f.tools(s)
	f.resources(s)
	f.prompts(s)
	s.AddReceivingMiddleware(f.middleware)
	log.Warn("conformance build: the MCP conformance suite's test fixtures are served; never deploy this binary")
}

type fixtures struct {
	log  *slog.Logger
	mu   sync.Mutex
	subs map[*mcp.ServerSession]map[string]bool // resource subscriptions per session
}

var emptyObject = json.RawMessage(`{"type":"object"}`)

func text(s string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: s}}}
}

// args decodes a tool call's arguments into v (absent arguments leave v as it is).
func args(req *mcp.CallToolRequest, v any) error {
	if len(req.Params.Arguments) == 0 {
		return nil
	}
	return json.Unmarshal(req.Params.Arguments, v)
}

func (f *fixtures) tools(s *mcp.Server) {
	add := func(name, desc string, schema json.RawMessage, h mcp.ToolHandler) {
		s.AddTool(&mcp.Tool{Name: name, Description: desc, InputSchema: schema}, h)
	}
	add("test_simple_text", "Returns one text content block", emptyObject, func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return text("This is a simple text response for testing."), nil
	})
	add("test_image_content", "Returns one image content block (PNG)", emptyObject, func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.ImageContent{Data: mustBase64(fixturePNG), MIMEType: "image/png"}}}, nil
	})
	add("test_audio_content", "Returns one audio content block (WAV)", emptyObject, func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.AudioContent{Data: mustBase64(fixtureWAV), MIMEType: "audio/wav"}}}, nil
	})
	add("test_embedded_resource", "Returns one embedded text resource", emptyObject, func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.EmbeddedResource{Resource: &mcp.ResourceContents{
			URI: "test://embedded-resource", MIMEType: "text/plain", Text: "This is an embedded resource content."}}}}, nil
	})
	add("test_multiple_content_types", "Returns text, an image and an embedded resource", emptyObject, func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{
			&mcp.TextContent{Text: "Multiple content types test:"},
			&mcp.ImageContent{Data: mustBase64(fixturePNG), MIMEType: "image/png"},
			&mcp.EmbeddedResource{Resource: &mcp.ResourceContents{URI: "test://mixed-content-resource", MIMEType: "application/json",
				Text: `{"test":"data","value":123}`}},
		}}, nil
	})
	add("test_tool_with_logging", "Sends three info log messages while it runs", emptyObject, func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		for _, msg := range []string{"Tool execution started", "Tool processing data", "Tool execution completed"} {
			if err := req.Session.Log(ctx, &mcp.LoggingMessageParams{Level: "info", Logger: "conformance", Data: msg}); err != nil {
				return nil, fmt.Errorf("sending a log message: %w", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		return text("Tool with logging executed successfully"), nil
	})
	add("test_tool_with_progress", "Reports progress 0, 50 and 100 of 100 on the caller's progress token", emptyObject, func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		token := req.Params.GetProgressToken()
		if token != nil {
			for _, p := range []float64{0, 50, 100} {
				err := req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: token, Progress: p, Total: 100,
					Message: fmt.Sprintf("Completed step %.0f of 100", p)})
				if err != nil {
					return nil, fmt.Errorf("sending progress: %w", err)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		return text(fmt.Sprint(token)), nil
	})
	add("test_error_handling", "Always fails with a tool error", emptyObject, func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		res := &mcp.CallToolResult{}
		res.SetError(errors.New("this tool intentionally returns an error for testing"))
		return res, nil
	})
	add("test_sampling", "Asks the client's model to complete a prompt (sampling)",
		json.RawMessage(`{"type":"object","properties":{"prompt":{"type":"string","description":"The prompt to send to the model"}},"required":["prompt"]}`),
		func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			var in struct {
				Prompt string `json:"prompt"`
			}
			if err := args(req, &in); err != nil {
				return nil, err
			}
			res, err := req.Session.CreateMessage(ctx, &mcp.CreateMessageParams{MaxTokens: 100,
				Messages: []*mcp.SamplingMessage{{Role: "user", Content: &mcp.TextContent{Text: in.Prompt}}}})
			if err != nil {
				return nil, fmt.Errorf("sampling: %w", err)
			}
			answer := "(not text)"
			if t, ok := res.Content.(*mcp.TextContent); ok {
				answer = t.Text
			}
			return text("LLM response: " + answer), nil
		})
	add("test_elicitation", "Asks the user for a username (form elicitation)",
		json.RawMessage(`{"type":"object","properties":{"message":{"type":"string","description":"The message to show the user"}},"required":["message"]}`),
		func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			var in struct {
				Message string `json:"message"`
			}
			if err := args(req, &in); err != nil {
				return nil, err
			}
			return f.elicit(ctx, req, in.Message, json.RawMessage(`{"type":"object","properties":{"username":{"type":"string","description":"Your preferred username"},"email":{"type":"string","description":"Your email address"}},"required":["username"]}`))
		})
	add("test_elicitation_sep1034_defaults", "Elicits primitives that carry default values (SEP-1034)", emptyObject,
		func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return f.elicit(ctx, req, "Please review and update the form fields with defaults", json.RawMessage(`{"type":"object","properties":{
				"name":{"type":"string","description":"User name","default":"John Doe"},
				"age":{"type":"integer","description":"User age","default":30},
				"score":{"type":"number","description":"User score","default":95.5},
				"status":{"type":"string","description":"User status","enum":["active","inactive","pending"],"default":"active"},
				"verified":{"type":"boolean","description":"Verification status","default":true}}}`))
		})
	add("test_elicitation_sep1330_enums", "Elicits every enum form of SEP-1330", emptyObject,
		func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return f.elicit(ctx, req, "Please select options from the enum fields", json.RawMessage(`{"type":"object","properties":{
				"untitledSingle":{"type":"string","description":"Select one option","enum":["option1","option2","option3"]},
				"titledSingle":{"type":"string","description":"Select one option with titles","oneOf":[
					{"const":"value1","title":"First Option"},{"const":"value2","title":"Second Option"},{"const":"value3","title":"Third Option"}]},
				"legacyEnum":{"type":"string","description":"Select one option (legacy)","enum":["opt1","opt2","opt3"],"enumNames":["Option One","Option Two","Option Three"]},
				"untitledMulti":{"type":"array","description":"Select multiple options","minItems":1,"maxItems":3,
					"items":{"type":"string","enum":["option1","option2","option3"]}},
				"titledMulti":{"type":"array","description":"Select multiple options with titles","minItems":1,"maxItems":3,
					"items":{"anyOf":[{"const":"value1","title":"First Choice"},{"const":"value2","title":"Second Choice"},{"const":"value3","title":"Third Choice"}]}}}}`))
		})
	add("json_schema_2020_12_tool", "Declares a JSON Schema 2020-12 input schema that must reach the client unchanged (SEP-1613, SEP-2106)",
		json.RawMessage(`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",
			"$defs":{"address":{"$anchor":"addressDef","type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"}}}},
			"properties":{"name":{"type":"string"},"address":{"$ref":"#/$defs/address"},
				"contactMethod":{"type":"string","enum":["phone","email"]},"phone":{"type":"string"},"email":{"type":"string"}},
			"allOf":[{"anyOf":[{"required":["phone"]},{"required":["email"]}]}],
			"if":{"properties":{"contactMethod":{"const":"phone"}},"required":["contactMethod"]},
			"then":{"required":["phone"]},"else":{"required":["email"]},
			"additionalProperties":false}`),
		func(_ context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return text("JSON Schema 2020-12 tool called with: " + string(req.Params.Arguments)), nil
		})
	add("test_reconnection", "Closes its SSE stream mid-call and answers after the client reconnects (SEP-1699)", emptyObject,
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			// gwmcp's Streamable HTTP handler keeps no event store, so the stream cannot be
			// resumed: this fixture answers on the open stream.
			time.Sleep(100 * time.Millisecond)
			return text("Reconnection test completed successfully."), nil
		})
}

func (f *fixtures) elicit(ctx context.Context, req *mcp.CallToolRequest, msg string, schema json.RawMessage) (*mcp.CallToolResult, error) {
	res, err := req.Session.Elicit(ctx, &mcp.ElicitParams{Message: msg, RequestedSchema: schema})
	if err != nil {
		return nil, fmt.Errorf("elicitation: %w", err)
	}
	content, _ := json.Marshal(res.Content)
	return text(fmt.Sprintf("Elicitation completed: action=%s, content=%s", res.Action, content)), nil
}

var templateID = regexp.MustCompile(`^test://template/([^/]+)/data$`)

func (f *fixtures) resources(s *mcp.Server) {
	s.AddResource(&mcp.Resource{URI: "test://static-text", Name: "static-text", Title: "Static text", Description: "A static text resource",
		MIMEType: "text/plain"}, func(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: req.Params.URI, MIMEType: "text/plain",
			Text: "This is the content of the static text resource."}}}, nil
	})
	s.AddResource(&mcp.Resource{URI: "test://static-binary", Name: "static-binary", Title: "Static binary", Description: "A static binary resource (PNG)",
		MIMEType: "image/png"}, func(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: req.Params.URI, MIMEType: "image/png", Blob: mustBase64(fixturePNG)}}}, nil
	})
	s.AddResourceTemplate(&mcp.ResourceTemplate{URITemplate: "test://template/{id}/data", Name: "template", Title: "Template",
		Description: "A resource template: the id is echoed in the data", MIMEType: "application/json"},
		func(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
			m := templateID.FindStringSubmatch(req.Params.URI)
			if m == nil {
				return nil, mcp.ResourceNotFoundError(req.Params.URI)
			}
			body, _ := json.Marshal(map[string]any{"id": m[1], "templateTest": true, "data": "Data for ID: " + m[1]})
			return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: req.Params.URI, MIMEType: "application/json", Text: string(body)}}}, nil
		})
	s.AddResource(&mcp.Resource{URI: "test://watched-resource", Name: "watched-resource", Title: "Watched resource",
		Description: "A resource clients may subscribe to", MIMEType: "text/plain"},
		func(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
			return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: req.Params.URI, MIMEType: "text/plain", Text: "Watched resource content"}}}, nil
		})
}

func (f *fixtures) prompts(s *mcp.Server) {
	user := func(c mcp.Content) *mcp.PromptMessage { return &mcp.PromptMessage{Role: "user", Content: c} }
	s.AddPrompt(&mcp.Prompt{Name: "test_simple_prompt", Title: "Simple prompt", Description: "A prompt without arguments"},
		func(context.Context, *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			return &mcp.GetPromptResult{Messages: []*mcp.PromptMessage{user(&mcp.TextContent{Text: "This is a simple prompt for testing."})}}, nil
		})
	s.AddPrompt(&mcp.Prompt{Name: "test_prompt_with_arguments", Title: "Prompt with arguments", Description: "A prompt with two required arguments",
		Arguments: []*mcp.PromptArgument{{Name: "arg1", Description: "First test argument", Required: true},
			{Name: "arg2", Description: "Second test argument", Required: true}}},
		func(_ context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			a := req.Params.Arguments
			return &mcp.GetPromptResult{Messages: []*mcp.PromptMessage{user(&mcp.TextContent{
				Text: fmt.Sprintf("Prompt with arguments: arg1='%s', arg2='%s'", a["arg1"], a["arg2"])})}}, nil
		})
	s.AddPrompt(&mcp.Prompt{Name: "test_prompt_with_embedded_resource", Title: "Prompt with an embedded resource",
		Description: "A prompt embedding the resource it is given",
		Arguments:   []*mcp.PromptArgument{{Name: "resourceUri", Description: "URI of the resource to embed", Required: true}}},
		func(_ context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			return &mcp.GetPromptResult{Messages: []*mcp.PromptMessage{
				user(&mcp.EmbeddedResource{Resource: &mcp.ResourceContents{URI: req.Params.Arguments["resourceUri"], MIMEType: "text/plain",
					Text: "Embedded resource content for testing."}}),
				user(&mcp.TextContent{Text: "Please process the embedded resource above."}),
			}}, nil
		})
	s.AddPrompt(&mcp.Prompt{Name: "test_prompt_with_image", Title: "Prompt with an image", Description: "A prompt with image content"},
		func(context.Context, *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			return &mcp.GetPromptResult{Messages: []*mcp.PromptMessage{
				user(&mcp.ImageContent{Data: mustBase64(fixturePNG), MIMEType: "image/png"}),
				user(&mcp.TextContent{Text: "Please analyze the image above."}),
			}}, nil
		})
}

// emptyResult is the JSON-RPC result {} of resources/subscribe and resources/unsubscribe.
// The SDK's own type is unexported; embedding the interface makes this one a Result.
type emptyResult struct{ mcp.Result }

func (emptyResult) MarshalJSON() ([]byte, error) { return []byte("{}"), nil }
func (emptyResult) GetMeta() map[string]any      { return nil }
func (emptyResult) SetMeta(map[string]any)       {}

// middleware answers completion/complete and resources/(un)subscribe, and declares both
// capabilities at initialize.
func (f *fixtures) middleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		switch method {
		case "initialize":
			res, err := next(ctx, method, req)
			if ir, ok := res.(*mcp.InitializeResult); ok && err == nil && ir.Capabilities != nil {
				ir.Capabilities.Completions = &mcp.CompletionCapabilities{}
				if ir.Capabilities.Resources == nil {
					ir.Capabilities.Resources = &mcp.ResourceCapabilities{ListChanged: true}
				}
				ir.Capabilities.Resources.Subscribe = true
			}
			return res, err
		case "completion/complete":
			// Nothing to suggest: the capability is declared and the answer well formed.
			return &mcp.CompleteResult{Completion: mcp.CompletionResultDetails{Values: []string{}, Total: 0}}, nil
		case "resources/subscribe", "resources/unsubscribe":
			var uri string
			switch r := req.(type) {
			case *mcp.SubscribeRequest:
				uri = r.Params.URI
			case *mcp.UnsubscribeRequest:
				uri = r.Params.URI
			}
			if uri == "" {
				return nil, errors.New("uri is required")
			}
			sess, _ := req.GetSession().(*mcp.ServerSession)
			f.mu.Lock()
			defer f.mu.Unlock()
			if method == "resources/subscribe" {
				if f.subs[sess] == nil {
					f.subs[sess] = map[string]bool{}
				}
				f.subs[sess][uri] = true
			} else {
				delete(f.subs[sess], uri)
				if len(f.subs[sess]) == 0 {
					delete(f.subs, sess)
				}
			}
			return emptyResult{}, nil
		}
		return next(ctx, method, req)
	}
}

// conformanceCIMDClient is the HTTP client for client ID metadata documents in the
// conformance build. Only when GWMCP_TEST_CIMD_CA names a PEM file (e2e/node/run.sh writes
// a self-signed certificate for 127.0.0.1 there) does it return a client: like
// cimd.SafeClient (no proxy, no redirects, a timeout) but one that may also dial loopback
// addresses and that trusts that certificate besides the system roots, so the end-to-end
// suite can serve a metadata document from the test itself. Otherwise, and when the file is
// unusable (logged), it returns nil: the SSRF-safe default.
func conformanceCIMDClient(log *slog.Logger) *http.Client {
	path := os.Getenv("GWMCP_TEST_CIMD_CA")
	if path == "" {
		return nil
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		log.Error("conformance build: GWMCP_TEST_CIMD_CA unreadable; metadata documents use the safe client", "error", err)
		return nil
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	if !roots.AppendCertsFromPEM(pem) {
		log.Error("conformance build: GWMCP_TEST_CIMD_CA holds no PEM certificate; metadata documents use the safe client")
		return nil
	}
	timeout := cimd.DefaultTimeout
	dialer := &net.Dialer{
		Timeout: timeout,
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return cimd.ErrForbiddenAddress
			}
			if ap.Addr().Unmap().IsLoopback() {
				return nil
			}
			return cimd.CheckAddr(ap.Addr())
		},
	}
	log.Warn("conformance build: client metadata documents may be fetched from loopback (GWMCP_TEST_CIMD_CA); never deploy this binary")
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			TLSClientConfig:       &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:   timeout,
			ResponseHeaderTimeout: timeout,
		},
		Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// conformanceBuild reports whether the conformance suite's fixtures are built in.
const conformanceBuild = true
