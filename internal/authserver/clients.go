package authserver

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gwmcp/gwmcp/internal/authserver/cimd"
)

// Client identifiers, secrets and grant types.
const (
	clientIDPrefix     = "mcp_"
	clientSecretPrefix = "gwcs_"
	regTokenPrefix     = "gwrat_"

	authNone   = "none"
	authBasic  = "client_secret_basic"
	authPost   = "client_secret_post"
	grantCode  = "authorization_code"
	grantRefr  = "refresh_token"
	maxNameLen = 100
	maxURILen  = 2048
)

// clientRecord is a registered client (dynamic registration) or one described by a
// client ID metadata document (cached).
type clientRecord struct {
	ID              string    `json:"client_id"`
	SecretHash      []byte    `json:"secret_hash,omitempty"`
	RegTokenHash    []byte    `json:"reg_token_hash,omitempty"`
	AuthMethod      string    `json:"auth_method"`
	RedirectURIs    []string  `json:"redirect_uris"`
	GrantTypes      []string  `json:"grant_types"`
	ResponseTypes   []string  `json:"response_types"`
	Name            string    `json:"client_name,omitempty"`
	URI             string    `json:"client_uri,omitempty"`
	Scope           string    `json:"scope,omitempty"`
	ApplicationType string    `json:"application_type,omitempty"`
	IssuedAt        time.Time `json:"issued_at"`
	LastUsed        time.Time `json:"last_used,omitzero"`
	MetadataDoc     bool      `json:"cimd,omitempty"`
	// Unusable caches why a metadata document was refused (negative cache entry).
	Unusable string `json:"unusable,omitempty"`
}

func (c *clientRecord) allowsGrant(g string) bool { return slices.Contains(c.GrantTypes, g) }

// displayName is what the consent page calls the client.
func (c *clientRecord) displayName() string {
	if c.Name != "" {
		return c.Name
	}
	if c.MetadataDoc {
		if u, err := url.Parse(c.ID); err == nil {
			return u.Host
		}
	}
	return "Unnamed application"
}

// clientMetadata is the registration request (RFC 7591) and the metadata document
// shape; unknown fields are ignored.
type clientMetadata struct {
	ClientID                string   `json:"client_id,omitempty"`
	ClientSecret            string   `json:"client_secret,omitempty"`
	RedirectURIs            []string `json:"redirect_uris"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method,omitempty"`
	GrantTypes              []string `json:"grant_types,omitempty"`
	ResponseTypes           []string `json:"response_types,omitempty"`
	ClientName              string   `json:"client_name,omitempty"`
	ClientURI               string   `json:"client_uri,omitempty"`
	Scope                   string   `json:"scope,omitempty"`
	ApplicationType         string   `json:"application_type,omitempty"`
}

// metadataError is an RFC 7591 error: invalid_redirect_uri or invalid_client_metadata.
type metadataError struct{ code, desc string }

func (e *metadataError) Error() string { return e.code + ": " + e.desc }

func invalidMetadata(format string, args ...any) *metadataError {
	return &metadataError{"invalid_client_metadata", fmt.Sprintf(format, args...)}
}

// validateMetadata checks client metadata and returns the record it describes (without
// id, secret or times). metadataDoc applies the rules of client ID metadata documents.
func (s *Server) validateMetadata(md clientMetadata, metadataDoc bool) (clientRecord, *metadataError) {
	var rec clientRecord
	if len(md.RedirectURIs) == 0 {
		return rec, &metadataError{"invalid_redirect_uri", "redirect_uris is required"}
	}
	if len(md.RedirectURIs) > maxRedirectURIs {
		return rec, &metadataError{"invalid_redirect_uri", fmt.Sprintf("at most %d redirect URIs", maxRedirectURIs)}
	}
	native, web := false, false
	for _, u := range md.RedirectURIs {
		kind, err := validateRedirectURI(u, s.issuerOrigin)
		if err != nil {
			return rec, &metadataError{"invalid_redirect_uri", err.Error()}
		}
		if kind == redirectWeb {
			web = true
		} else {
			native = true
		}
	}
	rec.RedirectURIs = slices.Clone(md.RedirectURIs)

	switch md.TokenEndpointAuthMethod {
	case "", authNone:
		rec.AuthMethod = authNone
	case authBasic, authPost:
		if metadataDoc {
			return rec, invalidMetadata("a client metadata document cannot use a shared secret; use token_endpoint_auth_method none")
		}
		rec.AuthMethod = md.TokenEndpointAuthMethod
	default:
		return rec, invalidMetadata("token_endpoint_auth_method must be none, client_secret_basic or client_secret_post")
	}
	if metadataDoc && md.ClientSecret != "" {
		return rec, invalidMetadata("a client metadata document must not contain a client_secret")
	}

	// Omitted grant_types means both grants this server offers (a deliberate deviation
	// from RFC 7591's authorization_code-only default: MCP clients expect refresh).
	rec.GrantTypes = []string{grantCode, grantRefr}
	if md.GrantTypes != nil {
		rec.GrantTypes = nil
		for _, g := range md.GrantTypes {
			if g != grantCode && g != grantRefr {
				return rec, invalidMetadata("grant_types may contain only authorization_code and refresh_token")
			}
			if !slices.Contains(rec.GrantTypes, g) {
				rec.GrantTypes = append(rec.GrantTypes, g)
			}
		}
		if !slices.Contains(rec.GrantTypes, grantCode) {
			return rec, invalidMetadata("grant_types must include authorization_code")
		}
	}
	rec.ResponseTypes = []string{"code"}
	for _, rt := range md.ResponseTypes {
		if rt != "code" {
			return rec, invalidMetadata("response_types may contain only code")
		}
	}

	name := strings.TrimSpace(md.ClientName)
	if utf8.RuneCountInString(name) > maxNameLen || !utf8.ValidString(name) {
		return rec, invalidMetadata("client_name must be valid UTF-8 of at most %d characters", maxNameLen)
	}
	if strings.IndexFunc(name, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) }) >= 0 {
		return rec, invalidMetadata("client_name must not contain control characters")
	}
	rec.Name = name

	if md.ClientURI != "" {
		u, err := url.Parse(md.ClientURI)
		if err != nil || len(md.ClientURI) > maxURILen || u.Scheme != "https" || u.Host == "" || u.User != nil {
			return rec, invalidMetadata("client_uri must be an https URL")
		}
		rec.URI = md.ClientURI
	}
	if md.Scope != "" {
		if _, err := s.resolveScope(md.Scope); err != nil {
			return rec, invalidMetadata("scope: %v", err)
		}
		rec.Scope = md.Scope
	}
	switch md.ApplicationType {
	case "":
		if native && !web {
			rec.ApplicationType = "native"
		} else {
			rec.ApplicationType = "web"
		}
	case "web", "native":
		rec.ApplicationType = md.ApplicationType
	default:
		return rec, invalidMetadata("application_type must be web or native")
	}
	return rec, nil
}

// errUnknownClient means the client id names no client we can use.
var errUnknownClient = errors.New("unknown client")

// lookupClient finds a client by id: a registered one, or a client ID metadata document
// (cached in the store for as long as its Cache-Control allows, within 5 min to 24 h).
func (s *Server) lookupClient(ctx context.Context, id string) (*clientRecord, error) {
	if id == "" || len(id) > maxURILen {
		return nil, errUnknownClient
	}
	if strings.HasPrefix(id, clientIDPrefix) {
		var rec clientRecord
		if err := s.getJSON(ctx, prefixClient+id, &rec); err != nil {
			if isNotFound(err) {
				return nil, errUnknownClient
			}
			return nil, err
		}
		return &rec, nil
	}
	if !cimd.IsClientIDURL(id) {
		return nil, errUnknownClient
	}
	key := prefixCIMD + hashKey(id)
	var rec clientRecord
	err := s.getJSON(ctx, key, &rec)
	if err == nil {
		if rec.Unusable != "" {
			return nil, fmt.Errorf("%w: client metadata document (cached failure): %s", errUnknownClient, rec.Unusable)
		}
		return &rec, nil
	}
	if !isNotFound(err) {
		return nil, err
	}
	doc, ttl, err := s.cimd.Fetch(ctx, id)
	if err != nil {
		s.cacheCIMDFailure(ctx, key, err.Error())
		return nil, fmt.Errorf("%w: %w", errUnknownClient, err)
	}
	rec, merr := s.validateMetadata(clientMetadata{
		ClientID: doc.ClientID, RedirectURIs: doc.RedirectURIs, TokenEndpointAuthMethod: doc.TokenEndpointAuthMethod,
		GrantTypes: doc.GrantTypes, ResponseTypes: doc.ResponseTypes, ClientName: doc.ClientName,
		ClientURI: doc.ClientURI, Scope: doc.Scope, ClientSecret: doc.ClientSecret,
	}, true)
	if merr != nil {
		s.cacheCIMDFailure(ctx, key, merr.desc)
		return nil, fmt.Errorf("%w: client metadata document: %s", errUnknownClient, merr.desc)
	}
	rec.ID, rec.MetadataDoc, rec.IssuedAt = id, true, s.cfg.Now().UTC()
	if err := s.putJSON(ctx, key, &rec, ttl); err != nil {
		s.log.WarnContext(ctx, "authserver: cache client metadata document", "error", err)
	}
	return &rec, nil
}

// cimdFailureTTL is how long an unusable metadata document is not fetched again, so
// that repeated requests cannot make this server hammer someone else's URL.
const cimdFailureTTL = time.Minute

func (s *Server) cacheCIMDFailure(ctx context.Context, key, reason string) {
	if err := s.putJSON(ctx, key, &clientRecord{Unusable: truncate(reason, 200)}, cimdFailureTTL); err != nil {
		s.log.WarnContext(ctx, "authserver: cache client metadata document failure", "error", err)
	}
}

// touchClient marks a registered client used, extending its life to UsedClientIdleTTL.
// It writes at most once an hour per client.
func (s *Server) touchClient(ctx context.Context, c *clientRecord) {
	if c.MetadataDoc {
		return
	}
	now := s.cfg.Now().UTC()
	if now.Sub(c.LastUsed) < time.Hour {
		return
	}
	err := updateJSON(ctx, s.st, prefixClient+c.ID, func(cur *clientRecord, exists bool) (time.Duration, error) {
		if !exists {
			return 0, errUnknownClient
		}
		cur.LastUsed = now
		return s.cfg.UsedClientIdleTTL, nil
	})
	if err != nil && !errors.Is(err, errUnknownClient) {
		s.log.WarnContext(ctx, "authserver: mark client used", "client_id", c.ID, "error", err)
	}
}

// secretHash hashes a high-entropy secret for storage.
func secretHash(v string) []byte {
	sum := sha256.Sum256([]byte(v))
	return sum[:]
}

// secretMatches compares a presented secret with a stored hash in constant time.
func secretMatches(presented string, hash []byte) bool {
	if len(hash) != sha256.Size {
		return false
	}
	sum := sha256.Sum256([]byte(presented))
	return subtle.ConstantTimeCompare(sum[:], hash) == 1
}
