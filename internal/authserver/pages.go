package authserver

import (
	"html/template"
	"net/http"
)

// pageHeaders are sent with every HTML page: no framing, no caching, a referrer only
// to ourselves (the page URL carries the authorization request; "no-referrer" would make
// browsers send Origin: null with the consent form), and a CSP that allows nothing but
// the inline style.
func pageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
}

const pageStyle = `body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#202124;line-height:1.45}
h1{font-size:1.4rem}.box{border:1px solid #dadce0;border-radius:8px;padding:1rem 1.25rem;margin:1rem 0}
.host{font-family:ui-monospace,monospace;font-size:1.05rem;background:#f1f3f4;padding:.15rem .4rem;border-radius:4px;word-break:break-all}
.warn{color:#8a4b00}.scopes{margin:.25rem 0 .5rem 1.75rem;font-size:.9rem;color:#5f6368}
button{font-size:1rem;padding:.55rem 1.4rem;border-radius:6px;border:1px solid #1a73e8;cursor:pointer;margin-right:.75rem}
.approve{background:#1a73e8;color:#fff}.deny{background:#fff;color:#1a73e8}.err{color:#b3261e}`

var consentTemplate = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Authorize {{.ClientName}} - gwmcp</title><style>` + pageStyle + `</style></head>
<body>
<h1>{{.ClientName}} wants to use your Google Workspace through gwmcp</h1>
{{if .Message}}<p class="err">{{.Message}}</p>{{end}}
<div class="box">
<p>After you approve, you will be sent back to:<br><span class="host">{{.RedirectHost}}</span></p>
{{if .ClientIDURL}}<p>The application is identified by <span class="host">{{.ClientIDURL}}</span>.</p>
{{else}}<p class="warn">gwmcp has not verified this application. Approve only if you started this connection yourself and recognise the address above.</p>{{end}}
{{if .Email}}<p>Signed in as <b>{{.Email}}</b>.</p>{{end}}
</div>
<form method="post" action="{{.Action}}">
<input type="hidden" name="request" value="{{.RequestID}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<div class="box"><p>It asks for access to:</p>
{{range .Services}}<div>
<label><input type="checkbox" name="service" value="{{.ID}}" checked{{if .Always}} disabled{{end}}> <b>{{.Name}}</b>{{if .Always}} (always){{end}}</label>
<div class="scopes">{{.Description}}<ul>{{range .Scopes}}<li>{{.}}</li>{{end}}</ul></div>
</div>{{end}}
<p>You can untick services you do not want to share; Google will then ask you to confirm.</p>
</div>
<button class="approve" type="submit" name="action" value="approve">Approve</button>
<button class="deny" type="submit" name="action" value="deny">Deny</button>
</form>
</body></html>`))

var errorTemplate = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Authorization error - gwmcp</title><style>` + pageStyle + `</style></head>
<body><h1>This authorization request cannot be completed</h1>
<div class="box"><p class="err">{{.}}</p><p>Return to the application and start again.</p></div>
</body></html>`))

type serviceView struct {
	ID, Name, Description string
	Always                bool
	Scopes                []string
}

type consentView struct {
	ClientName, ClientIDURL, RedirectHost, Email string
	Message                                      string
	Action, RequestID, CSRF                      string
	Services                                     []serviceView
}

// errorPage shows an error in the browser. It is used instead of a redirect whenever
// the client or the redirect URI cannot be trusted.
func errorPage(w http.ResponseWriter, status int, msg string) {
	pageHeaders(w)
	w.WriteHeader(status)
	_ = errorTemplate.Execute(w, msg)
}
