package mcpserver

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gwmcp/gwmcp/internal/tools"
)

// workflow is a prompt that walks a model through a common task with gwmcp's tools. It is
// offered only when every tool it relies on is enabled, so a prompt never asks for a tool the
// client cannot see (tiers, --tools and --read-only can hide tools).
type workflow struct {
	prompt *mcp.Prompt
	needs  []string
	// text builds the user message from the prompt's arguments (already defaulted).
	text func(args map[string]string) string
}

func workflows() []workflow {
	return []workflow{
		{
			prompt: &mcp.Prompt{
				Name:        "diagnose_gwmcp",
				Title:       "Diagnose the gwmcp setup",
				Description: "Checks the server's health and configuration and explains what to fix.",
			},
			needs: []string{"health_check"},
			text: func(map[string]string) string {
				return "Call the health_check tool and read the resource " + StatusURI + ". " +
					"Tell me in a few sentences whether gwmcp is healthy, which Google services are enabled, " +
					"whether Google sign-in is configured, and what I should change if anything looks wrong. " +
					"Do not show raw JSON."
			},
		},
		{
			prompt: &mcp.Prompt{
				Name:        "summarize_unread_mail",
				Title:       "Summarise my unread mail",
				Description: "Finds unread Gmail messages and summarises them by importance, with the actions they ask for.",
				Arguments: []*mcp.PromptArgument{
					{Name: "max_messages", Description: "How many unread messages to read at most (default 20)."},
					{Name: "newer_than", Description: "Only mail newer than this Gmail age, such as 1d or 7d (default 2d)."},
				},
			},
			needs: []string{"search_gmail_messages", "get_gmail_messages_content_batch"},
			text: func(a map[string]string) string {
				return fmt.Sprintf("Use search_gmail_messages with the query \"is:unread newer_than:%s\" (page size %s), "+
					"then read those messages with get_gmail_messages_content_batch. "+
					"Summarise them grouped as: needs my reply, needs an action, FYI. For each give sender, subject "+
					"and one line; end with the three most urgent items.", a["newer_than"], a["max_messages"])
			},
		},
		{
			prompt: &mcp.Prompt{
				Name:        "plan_my_day",
				Title:       "Plan my day",
				Description: "Combines today's calendar with recent important mail into a plan for the day.",
				Arguments: []*mcp.PromptArgument{
					{Name: "date", Description: "The day to plan, YYYY-MM-DD (default today in my calendar's time zone)."},
				},
			},
			needs: []string{"list_events", "search_gmail_messages"},
			text: func(a map[string]string) string {
				day := a["date"]
				if day == "" {
					day = "today (in my primary calendar's time zone)"
				}
				return "List my events for " + day + " with list_events on my primary calendar, and find mail that " +
					"needs me with search_gmail_messages (\"is:unread is:important newer_than:2d\"). " +
					"Give me a time-ordered plan: meetings with what to prepare, free slots, and which mails to " +
					"answer in them."
			},
		},
		{
			prompt: &mcp.Prompt{
				Name:        "find_and_summarize_document",
				Title:       "Find and summarise a document",
				Description: "Searches Drive for a document and summarises its content.",
				Arguments: []*mcp.PromptArgument{
					{Name: "query", Description: "Words from the document's title or content.", Required: true},
				},
			},
			needs: []string{"search_drive_files", "get_drive_file_content"},
			text: func(a map[string]string) string {
				return fmt.Sprintf("Search my Drive with search_drive_files for %q. If several files match, pick the most "+
					"recently modified one and say which you chose. Read it with get_drive_file_content and summarise it "+
					"in at most ten bullet points, with its link.", a["query"])
			},
		},
	}
}

// promptDefaults fills the arguments a workflow uses when the client left them out.
var promptDefaults = map[string]string{"max_messages": "20", "newer_than": "2d"}

func addPrompts(s *mcp.Server, reg *tools.Registry) {
	for _, w := range workflows() {
		if !hasAll(reg, w.needs) {
			continue
		}
		s.AddPrompt(w.prompt, w.handler())
	}
}

func hasAll(reg *tools.Registry, names []string) bool {
	for _, n := range names {
		if !reg.Has(n) {
			return false
		}
	}
	return true
}

func (w workflow) handler() mcp.PromptHandler {
	return func(_ context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		args := map[string]string{}
		for _, a := range w.prompt.Arguments {
			v := strings.TrimSpace(req.Params.Arguments[a.Name])
			if v == "" {
				if a.Required {
					return nil, fmt.Errorf("argument %q is required", a.Name)
				}
				v = promptDefaults[a.Name]
			}
			if a.Name == "max_messages" {
				if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 100 {
					return nil, fmt.Errorf("argument max_messages must be a whole number from 1 to 100")
				}
			}
			args[a.Name] = v
		}
		return &mcp.GetPromptResult{
			Description: w.prompt.Description,
			Messages: []*mcp.PromptMessage{{
				Role:    "user",
				Content: &mcp.TextContent{Text: w.text(args)},
			}},
		}, nil
	}
}
