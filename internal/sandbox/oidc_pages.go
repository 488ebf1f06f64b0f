package sandbox

import (
	"bytes"
	"html/template"
	"net/http"
)

// pages holds the HTML the authorization endpoint shows a person.
type pages struct {
	chooser *template.Template
	failure *template.Template
}

const pageStyle = `<style>
body{font-family:system-ui,sans-serif;background:#f1f3f4;margin:0}
main{max-width:28rem;margin:3rem auto;background:#fff;border-radius:8px;padding:2rem;box-shadow:0 1px 3px #0003}
h1{font-size:1.4rem;font-weight:500} .note{color:#5f6368;font-size:.85rem}
ul{padding-left:1.2rem;font-size:.85rem;word-break:break-all}
button{display:block;width:100%;text-align:left;padding:.8rem;margin:.4rem 0;border:1px solid #dadce0;
border-radius:4px;background:#fff;font-size:1rem;cursor:pointer} button:hover{background:#f8f9fa}
button.deny{text-align:center;color:#1a73e8}
</style>`

const chooserHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Sign in - Google Accounts (sandbox)</title>` + pageStyle + `</head>
<body><main>
<p class="note">gwmcp sandbox: a fake Google sign-in, no real account is used</p>
<h1>Choose an account</h1>
<p>to continue to <strong>{{.Client}}</strong>, which will be allowed to:</p>
<ul>{{range .Scopes}}<li>{{.}}</li>{{end}}</ul>
<form method="post" action="{{.Action}}">
<input type="hidden" name="request" value="{{.Request}}">
{{range .Accounts}}<button type="submit" name="account" value="{{.Email}}">{{.Name}} &lt;{{.Email}}&gt;</button>
{{end}}<button type="submit" class="deny" name="action" value="deny">Cancel</button>
</form>
</main></body></html>
`

const failureHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Error {{.Status}}: {{.Code}}</title>` + pageStyle + `</head>
<body><main>
<h1>Access blocked: this request is invalid</h1>
<p><strong>Error {{.Status}}: {{.Code}}</strong></p>
<p>{{.Description}}</p>
<p class="note">gwmcp sandbox: a fake Google sign-in</p>
</main></body></html>
`

func newPages() *pages {
	return &pages{
		chooser: template.Must(template.New("chooser").Parse(chooserHTML)),
		failure: template.Must(template.New("failure").Parse(failureHTML)),
	}
}

// renderChooser shows the account chooser and consent page for a pending
// request. Callers hold s.mu.
func (s *Sandbox) renderChooser(w http.ResponseWriter, id string, req *authRequest) {
	data := struct {
		Client, Action, Request string
		Scopes                  []string
		Accounts                []Account
	}{req.clientID, req.issuer + consentPath, id, req.scopes, s.accounts}
	s.writePage(w, http.StatusOK, s.pages.chooser, data)
}

// errorPage shows an authorization error on the sandbox's own page, never
// redirecting, as Google does for a bad client or redirect URI.
func (s *Sandbox) errorPage(w http.ResponseWriter, status int, code, description string) {
	data := struct {
		Status            int
		Code, Description string
	}{status, code, description}
	s.writePage(w, status, s.pages.failure, data)
}

func (s *Sandbox) writePage(w http.ResponseWriter, status int, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		s.log.Error("sandbox: render page", "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
