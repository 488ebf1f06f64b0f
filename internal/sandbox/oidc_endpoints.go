package sandbox

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// routeOIDC mounts the OpenID provider's endpoints on mux.
func (s *Sandbox) routeOIDC(mux *http.ServeMux) {
	mux.HandleFunc("GET "+string(EndpointDiscovery), s.serveDiscovery)
	mux.HandleFunc("GET "+string(EndpointAuthorize), s.serveAuthorize)
	mux.HandleFunc("POST "+consentPath, s.serveConsent)
	mux.HandleFunc("POST "+string(EndpointToken), s.serveToken)
	mux.HandleFunc("GET "+string(EndpointJWKS), s.serveJWKS)
	for _, p := range []string{string(EndpointUserinfo), "/oauth2/v3/userinfo"} {
		mux.HandleFunc("GET "+p, s.serveUserinfo)
		mux.HandleFunc("POST "+p, s.serveUserinfo)
	}
	for _, p := range []string{string(EndpointTokeninfo), "/oauth2/v3/tokeninfo"} {
		mux.HandleFunc("GET "+p, s.serveTokeninfo)
		mux.HandleFunc("POST "+p, s.serveTokeninfo)
	}
	// Google's revocation endpoint documents POST; GET still works there.
	mux.HandleFunc("GET "+string(EndpointRevoke), s.serveRevoke)
	mux.HandleFunc("POST "+string(EndpointRevoke), s.serveRevoke)
}

// discovery is the OpenID discovery document. The supported values are
// Google's, limited to what the sandbox implements.
type discovery struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	ClaimsSupported                   []string `json:"claims_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	AuthorizationResponseISSSupported bool     `json:"authorization_response_iss_parameter_supported"`
}

func (s *Sandbox) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	if s.scripted(w, EndpointDiscovery) {
		return
	}
	s.mu.Lock()
	iss := s.issuerFor(r)
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "public, max-age=3600")
	writeJSON(w, http.StatusOK, discovery{
		Issuer:                            iss,
		AuthorizationEndpoint:             iss + string(EndpointAuthorize),
		TokenEndpoint:                     iss + string(EndpointToken),
		UserinfoEndpoint:                  iss + string(EndpointUserinfo),
		RevocationEndpoint:                iss + string(EndpointRevoke),
		JWKSURI:                           iss + string(EndpointJWKS),
		ResponseTypesSupported:            []string{"code"},
		ResponseModesSupported:            []string{"query"},
		SubjectTypesSupported:             []string{"public"},
		IDTokenSigningAlgValuesSupported:  []string{"RS256"},
		ScopesSupported:                   []string{"openid", "email", "profile"},
		TokenEndpointAuthMethodsSupported: []string{"client_secret_post", "client_secret_basic"},
		ClaimsSupported: []string{"aud", "email", "email_verified", "exp", "family_name",
			"given_name", "iat", "iss", "name", "sub"},
		CodeChallengeMethodsSupported:     []string{"plain", "S256"},
		GrantTypesSupported:               []string{"authorization_code", "refresh_token"},
		AuthorizationResponseISSSupported: true,
	})
}

// bearerToken reads an access token from the Authorization header or, as
// Google's userinfo also allows, the access_token parameter.
func bearerToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	return r.FormValue("access_token")
}

// serveUserinfo answers like https://openidconnect.googleapis.com/v1/userinfo.
func (s *Sandbox) serveUserinfo(w http.ResponseWriter, r *http.Request) {
	if s.scripted(w, EndpointUserinfo) {
		return
	}
	tok := bearerToken(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	t, a := s.liveAccess(tok)
	if t == nil {
		challenge := `Bearer realm="https://accounts.google.com/"`
		if tok != "" {
			challenge += `, error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
		writeJSON(w, http.StatusUnauthorized, map[string]string{
			"error": "invalid_request", "error_description": "Invalid Credentials"})
		return
	}
	if !hasScope(t.scopes, scopeOpenID) && !hasScope(t.scopes, scopeEmail) && !hasScope(t.scopes, scopeProfile) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="insufficient_scope"`)
		writeJSON(w, http.StatusForbidden, map[string]string{
			"error": "insufficient_scope", "error_description": "Insufficient Permission"})
		return
	}
	info := map[string]any{"sub": a.Sub}
	if a.HostedDomain != "" {
		info["hd"] = a.HostedDomain
	}
	if hasScope(t.scopes, scopeEmail) {
		info["email"] = a.Email
		info["email_verified"] = true
	}
	if hasScope(t.scopes, scopeProfile) {
		info["name"] = a.Name
		info["given_name"] = a.GivenName
		info["family_name"] = a.FamilyName
	}
	s.stats.UserinfoRequests++
	writeJSON(w, http.StatusOK, info)
}

// serveTokeninfo answers like https://oauth2.googleapis.com/tokeninfo for an
// access_token or an id_token. Every value comes back as a string, as there.
func (s *Sandbox) serveTokeninfo(w http.ResponseWriter, r *http.Request) {
	if s.scripted(w, EndpointTokeninfo) {
		return
	}
	invalid := func() {
		writeJSON(w, http.StatusBadRequest, map[string]string{
			"error": "invalid_token", "error_description": "Invalid Value"})
	}
	at, idt := r.FormValue("access_token"), r.FormValue("id_token")
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	switch {
	case at != "":
		t, a := s.liveAccess(at)
		if t == nil {
			invalid()
			return
		}
		info := map[string]string{
			"azp":         t.clientID,
			"aud":         t.clientID,
			"sub":         a.Sub,
			"scope":       strings.Join(t.scopes, " "),
			"exp":         strconv.FormatInt(t.expires.Unix(), 10),
			"expires_in":  strconv.FormatInt(int64(t.expires.Sub(now)/time.Second), 10),
			"access_type": "online",
		}
		if t.refresh != "" {
			info["access_type"] = "offline"
		}
		if hasScope(t.scopes, scopeEmail) {
			info["email"] = a.Email
			info["email_verified"] = "true"
		}
		writeJSON(w, http.StatusOK, info)
	case idt != "":
		claims, err := s.key.verify(idt)
		if err != nil || claims["iss"] != s.issuerFor(r) {
			invalid()
			return
		}
		exp, _ := claims["exp"].(float64)
		if !now.Before(time.Unix(int64(exp), 0)) {
			invalid()
			return
		}
		info := map[string]string{"alg": "RS256", "kid": s.key.kid, "typ": "JWT"}
		for k, v := range claims {
			switch v := v.(type) {
			case float64:
				info[k] = strconv.FormatInt(int64(v), 10)
			default:
				info[k] = fmt.Sprint(v)
			}
		}
		writeJSON(w, http.StatusOK, info)
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request",
			"error_description": "Either access_token, id_token, or token_handle required"})
	}
}

// serveRevoke answers like https://oauth2.googleapis.com/revoke. Revoking an
// access or a refresh token removes the whole grant that person gave that
// client: every token, and the consent, so the next authorization asks again.
func (s *Sandbox) serveRevoke(w http.ResponseWriter, r *http.Request) {
	if s.scripted(w, EndpointRevoke) {
		return
	}
	tok := r.FormValue("token")
	if tok == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{
			"error": "invalid_request", "error_description": "Missing required parameter: token"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var key grantKey
	if rt := s.refresh[tok]; rt != nil {
		key = grantKey{rt.sub, rt.clientID}
	} else if at, _ := s.liveAccess(tok); at != nil {
		key = grantKey{at.sub, at.clientID}
	} else {
		writeJSON(w, http.StatusBadRequest, map[string]string{
			"error": "invalid_token", "error_description": "Token expired or revoked"})
		return
	}
	s.revokeGrant(key)
	s.stats.Revocations++
	s.log.Info("sandbox: grant revoked", "client_id", key.clientID, "sub", key.sub)
	writeJSON(w, http.StatusOK, struct{}{})
}
