package identity

import (
	"html/template"
	"net/http"
)

type serviceChoice struct {
	ID, Name, Description string
	Checked               bool
}

type pageData struct {
	Title    string
	Message  string
	Form     bool
	Who      string
	Hint     string
	Services []serviceChoice
	CSRF     string
}

// pageCSP is the link page's policy. It leaves out form-action: the approval is a form POST
// answered with a redirect to Google, which form-action 'self' would block.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"

var pageTmpl = template.Must(template.New("link").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · gwmcp</title>
<style>
body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1f2328}
h1{font-size:1.4rem} .svc{display:block;margin:.4rem 0} .svc small{color:#59636e;display:block;margin-left:1.6rem}
button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem;border-radius:6px;border:1px solid #8c959f;background:#f6f8fa;cursor:pointer}
button.primary{background:#1f6feb;color:#fff;border-color:#1f6feb} .note{color:#59636e;font-size:.9rem}
</style></head><body>
<h1>{{.Title}}</h1>
{{if .Form}}
<p>gwmcp will let <strong>{{.Who}}</strong> act as the Google account you sign in with next{{if .Hint}} (suggested: <strong>{{.Hint}}</strong>){{end}}, for the services you choose:</p>
<form method="post">
<input type="hidden" name="csrf" value="{{.CSRF}}">
{{range .Services}}<label class="svc"><input type="checkbox" name="service" value="{{.ID}}"{{if .Checked}} checked{{end}}> {{.Name}}<small>{{.Description}}</small></label>
{{end}}
<p class="note">Only approve if you asked your assistant to connect this account. You can disconnect it at any time.</p>
<button class="primary" type="submit" name="action" value="approve">Approve</button>
<button type="submit" name="action" value="cancel">Cancel</button>
</form>
{{else}}<p>{{.Message}}</p>{{end}}
</body></html>`))

func (l *Linker) page(w http.ResponseWriter, status int, d pageData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, d)
}
