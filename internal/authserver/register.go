package authserver

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gwmcp/gwmcp/internal/store"
)

// registrationResponse is the RFC 7591/7592 client information response.
type registrationResponse struct {
	ClientID                string   `json:"client_id"`
	ClientSecret            string   `json:"client_secret,omitempty"`
	ClientIDIssuedAt        int64    `json:"client_id_issued_at"`
	ClientSecretExpiresAt   *int64   `json:"client_secret_expires_at,omitempty"`
	RegistrationAccessToken string   `json:"registration_access_token,omitempty"`
	RegistrationClientURI   string   `json:"registration_client_uri"`
	RedirectURIs            []string `json:"redirect_uris"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	ClientName              string   `json:"client_name,omitempty"`
	ClientURI               string   `json:"client_uri,omitempty"`
	Scope                   string   `json:"scope,omitempty"`
	ApplicationType         string   `json:"application_type,omitempty"`
}

func (s *Server) registrationResponse(c *clientRecord) registrationResponse {
	return registrationResponse{
		ClientID:                c.ID,
		ClientIDIssuedAt:        c.IssuedAt.Unix(),
		RegistrationClientURI:   s.cfg.Issuer + "/oauth/register/" + c.ID,
		RedirectURIs:            c.RedirectURIs,
		TokenEndpointAuthMethod: c.AuthMethod,
		GrantTypes:              c.GrantTypes,
		ResponseTypes:           c.ResponseTypes,
		ClientName:              c.Name,
		ClientURI:               c.URI,
		Scope:                   c.Scope,
		ApplicationType:         c.ApplicationType,
	}
}

func writeMetadataError(w http.ResponseWriter, e *metadataError) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": e.code, "error_description": safeDescription(e.desc)})
}

// readMetadata decodes a JSON client metadata body of at most maxJSONBody bytes.
func readMetadata(w http.ResponseWriter, r *http.Request) (clientMetadata, *oauthError) {
	var md clientMetadata
	if !hasContentType(r, "application/json") {
		return md, &oauthError{status: http.StatusBadRequest, code: "invalid_client_metadata", desc: "The request body must be application/json."}
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxJSONBody)
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&md); err != nil {
		if tooLarge(err) {
			return md, &oauthError{status: http.StatusRequestEntityTooLarge, code: "invalid_client_metadata", desc: "The request body is too large."}
		}
		return md, &oauthError{status: http.StatusBadRequest, code: "invalid_client_metadata", desc: "The request body is not a valid client metadata JSON object."}
	}
	return md, nil
}

// handleRegister serves POST /oauth/register (RFC 7591).
func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if s.cfg.RegistrationsPerMinute > 0 {
		n, err := store.Incr(ctx, s.st, prefixRate+s.clientAddress(r), time.Minute)
		if err != nil {
			s.log.ErrorContext(ctx, "authserver: registration rate limit", "error", err)
			errServer().write(w)
			return
		}
		if n > int64(s.cfg.RegistrationsPerMinute) {
			w.Header().Set("Retry-After", "60")
			writeJSON(w, http.StatusTooManyRequests, map[string]string{
				"error": "too_many_requests", "error_description": "Too many registrations from this address; retry in a minute."})
			return
		}
	}
	md, oerr := readMetadata(w, r)
	if oerr != nil {
		oerr.write(w)
		return
	}
	rec, merr := s.validateMetadata(md, false)
	if merr != nil {
		writeMetadataError(w, merr)
		return
	}
	if err := s.reserveClientSlot(ctx); err != nil {
		if errors.Is(err, errTooManyClients) {
			w.Header().Set("Retry-After", "3600")
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{
				"error": "temporarily_unavailable", "error_description": "This server has too many registered clients; retry later."})
			return
		}
		s.log.ErrorContext(ctx, "authserver: count clients", "error", err)
		errServer().write(w)
		return
	}
	id, err := s.random(24)
	if err != nil {
		errServer().write(w)
		return
	}
	regToken, err := s.random(32)
	if err != nil {
		errServer().write(w)
		return
	}
	rec.ID = clientIDPrefix + id
	rec.IssuedAt = s.cfg.Now().UTC()
	regToken = regTokenPrefix + regToken
	rec.RegTokenHash = secretHash(regToken)
	var secret string
	if rec.AuthMethod != authNone {
		sec, err := s.random(32)
		if err != nil {
			errServer().write(w)
			return
		}
		secret = clientSecretPrefix + sec
		rec.SecretHash = secretHash(secret)
	}
	if err := store.Create(ctx, s.st, prefixClient+rec.ID, mustJSON(&rec), s.cfg.ClientIdleTTL); err != nil {
		s.releaseClientSlot(ctx)
		s.log.ErrorContext(ctx, "authserver: store client", "error", err)
		errServer().write(w)
		return
	}
	resp := s.registrationResponse(&rec)
	resp.RegistrationAccessToken = regToken
	if secret != "" {
		resp.ClientSecret = secret
		resp.ClientSecretExpiresAt = new(int64(0))
	}
	s.log.InfoContext(ctx, "authserver: client registered", "client_id", rec.ID, "auth_method", rec.AuthMethod,
		"application_type", rec.ApplicationType)
	writeJSON(w, http.StatusCreated, resp)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain records are marshalled
	}
	return b
}

var errTooManyClients = errors.New("too many registered clients")

// reserveClientSlot counts a new registration against MaxClients. The counter is cheap
// but does not see registrations that expired, so when it says the cap is reached the
// clients are counted exactly and the counter corrected.
func (s *Server) reserveClientSlot(ctx context.Context) error {
	if s.cfg.MaxClients <= 0 {
		return nil
	}
	for attempt := 0; ; attempt++ {
		err := s.st.Update(ctx, keyClientCount, func(cur []byte, exists bool) ([]byte, time.Duration, error) {
			n := int64(0)
			if exists {
				n, _ = strconv.ParseInt(string(cur), 10, 64)
			}
			if n >= int64(s.cfg.MaxClients) {
				return nil, 0, errTooManyClients
			}
			return strconv.AppendInt(nil, n+1, 10), 0, nil
		})
		if !errors.Is(err, errTooManyClients) || attempt > 0 {
			return err
		}
		keys, lerr := s.st.List(ctx, prefixClient)
		if lerr != nil {
			return lerr
		}
		if len(keys) >= s.cfg.MaxClients {
			return errTooManyClients
		}
		if err := s.st.Set(ctx, keyClientCount, strconv.AppendInt(nil, int64(len(keys)), 10), 0); err != nil {
			return err
		}
	}
}

func (s *Server) releaseClientSlot(ctx context.Context) {
	_ = s.st.Update(ctx, keyClientCount, func(cur []byte, exists bool) ([]byte, time.Duration, error) {
		n, _ := strconv.ParseInt(string(cur), 10, 64)
		if !exists || n <= 0 {
			return nil, 0, store.ErrSkip
		}
		return strconv.AppendInt(nil, n-1, 10), 0, nil
	})
}

// clientAddress is the address registrations are rate-limited by: the peer address,
// or with TrustedProxyHeaders the last X-Forwarded-For entry (the one our own proxy
// appended; earlier entries are the client's word). IPv6 addresses count per /64.
func (s *Server) clientAddress(r *http.Request) string {
	addr := r.RemoteAddr
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	if s.cfg.TrustedProxyHeaders {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if last := strings.TrimSpace(parts[len(parts)-1]); last != "" {
				addr = last
			}
		}
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return "invalid"
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// authorizeRegistration checks the registration access token of RFC 7592 and returns
// the client. Any failure is 401 invalid_token, whether or not the client exists.
func (s *Server) authorizeRegistration(w http.ResponseWriter, r *http.Request) (*clientRecord, bool) {
	fail := func() (*clientRecord, bool) {
		registrationUnauthorized(w)
		return nil, false
	}
	id := r.PathValue("id")
	tok, ok := bearerFromHeader(r.Header.Values("Authorization"))
	if !ok || !strings.HasPrefix(id, clientIDPrefix) {
		return fail()
	}
	var rec clientRecord
	if err := s.getJSON(r.Context(), prefixClient+id, &rec); err != nil {
		if !isNotFound(err) {
			s.log.ErrorContext(r.Context(), "authserver: read client", "error", err)
		}
		return fail()
	}
	if !secretMatches(tok, rec.RegTokenHash) {
		return fail()
	}
	return &rec, true
}

func registrationUnauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	writeJSON(w, http.StatusUnauthorized, map[string]string{
		"error": "invalid_token", "error_description": "The registration access token is missing or invalid."})
}

// handleClientRead serves GET /oauth/register/{id} (RFC 7592).
func (s *Server) handleClientRead(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.authorizeRegistration(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, s.registrationResponse(rec))
}

// handleClientUpdate serves PUT /oauth/register/{id} (RFC 7592): the metadata is
// replaced; the client id, secret and authentication method stay.
func (s *Server) handleClientUpdate(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.authorizeRegistration(w, r)
	if !ok {
		return
	}
	md, oerr := readMetadata(w, r)
	if oerr != nil {
		oerr.write(w)
		return
	}
	if md.ClientID != rec.ID {
		writeMetadataError(w, invalidMetadata("client_id must be the id of the client being updated"))
		return
	}
	if md.ClientSecret != "" && (rec.SecretHash == nil || !secretMatches(md.ClientSecret, rec.SecretHash)) {
		writeMetadataError(w, invalidMetadata("client_secret does not match"))
		return
	}
	if md.TokenEndpointAuthMethod == "" {
		md.TokenEndpointAuthMethod = rec.AuthMethod
	}
	next, merr := s.validateMetadata(md, false)
	if merr != nil {
		writeMetadataError(w, merr)
		return
	}
	if next.AuthMethod != rec.AuthMethod {
		writeMetadataError(w, invalidMetadata("token_endpoint_auth_method cannot change; register a new client"))
		return
	}
	err := updateJSON(r.Context(), s.st, prefixClient+rec.ID, func(cur *clientRecord, exists bool) (time.Duration, error) {
		if !exists || subtle.ConstantTimeCompare(cur.RegTokenHash, rec.RegTokenHash) != 1 {
			return 0, errUnknownClient
		}
		cur.RedirectURIs, cur.GrantTypes, cur.ResponseTypes = next.RedirectURIs, next.GrantTypes, next.ResponseTypes
		cur.Name, cur.URI, cur.Scope, cur.ApplicationType = next.Name, next.URI, next.Scope, next.ApplicationType
		*rec = *cur
		return store.KeepTTL, nil
	})
	if err != nil {
		if errors.Is(err, errUnknownClient) {
			registrationUnauthorized(w) // deleted or re-keyed meanwhile
			return
		}
		s.log.ErrorContext(r.Context(), "authserver: update client", "error", err)
		errServer().write(w)
		return
	}
	s.log.InfoContext(r.Context(), "authserver: client updated", "client_id", rec.ID)
	writeJSON(w, http.StatusOK, s.registrationResponse(rec))
}

// handleClientDelete serves DELETE /oauth/register/{id} (RFC 7592): the client is
// removed and every grant it holds is revoked.
func (s *Server) handleClientDelete(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.authorizeRegistration(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if err := s.st.Delete(ctx, prefixClient+rec.ID); err != nil {
		s.log.ErrorContext(ctx, "authserver: delete client", "error", err)
		errServer().write(w)
		return
	}
	s.releaseClientSlot(ctx)
	if _, err := s.revokeWhere(ctx, func(f *familyRecord) bool { return f.ClientID == rec.ID }); err != nil {
		s.log.ErrorContext(ctx, "authserver: revoke grants of deleted client", "error", err)
	}
	s.log.InfoContext(ctx, "authserver: client deleted", "client_id", rec.ID)
	noStore(w)
	w.WriteHeader(http.StatusNoContent)
}
