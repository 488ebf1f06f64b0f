package authserver

import (
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

// buildMetadata renders the discovery documents once, from configuration only (never
// from a request's Host header).
func (s *Server) buildMetadata() error {
	ru, err := url.Parse(s.cfg.Resource)
	if err != nil {
		return fmt.Errorf("authserver: resource: %w", err)
	}
	iu, err := url.Parse(s.cfg.Issuer)
	if err != nil {
		return fmt.Errorf("authserver: issuer: %w", err)
	}
	s.issuerOrigin = iu.Scheme + "://" + iu.Host
	s.prmPath = ru.EscapedPath()
	s.resourceMetaURL = ru.Scheme + "://" + ru.Host + "/.well-known/oauth-protected-resource" + s.prmPath

	defaults, err := s.scopes.ForServices(s.cfg.DefaultServices)
	if err != nil {
		return fmt.Errorf("authserver: default services: %w", err)
	}
	if len(s.cfg.DefaultScopes) > 0 {
		signIn, _ := s.scopes.ForServices(nil)
		defaults = append(signIn, s.cfg.DefaultScopes...)
	}
	if s.cfg.NarrowScopes != nil {
		defaults = s.cfg.NarrowScopes(defaults)
	}
	s.defaultScopes = defaults

	prm := oauthex.ProtectedResourceMetadata{
		Resource:               s.cfg.Resource,
		AuthorizationServers:   []string{s.cfg.Issuer},
		ScopesSupported:        defaults,
		BearerMethodsSupported: []string{"header"},
		ResourceName:           "gwmcp (Google Workspace MCP server)",
	}
	if s.prmJSON, err = json.Marshal(prm); err != nil {
		return err
	}

	all := []string{offlineAccess}
	for _, sc := range s.scopes.All() {
		all = append(all, sc.URL)
	}
	authMethods := []string{authNone, authBasic, authPost}
	asm := oauthex.AuthServerMeta{
		Issuer:                                     s.cfg.Issuer,
		AuthorizationEndpoint:                      s.cfg.Issuer + "/oauth/authorize",
		TokenEndpoint:                              s.cfg.Issuer + "/oauth/token",
		RegistrationEndpoint:                       s.cfg.Issuer + "/oauth/register",
		RevocationEndpoint:                         s.cfg.Issuer + "/oauth/revoke",
		JWKSURI:                                    s.cfg.Issuer + "/.well-known/jwks.json",
		ScopesSupported:                            all,
		ResponseTypesSupported:                     []string{"code"},
		GrantTypesSupported:                        []string{grantCode, grantRefr},
		TokenEndpointAuthMethodsSupported:          authMethods,
		RevocationEndpointAuthMethodsSupported:     authMethods,
		CodeChallengeMethodsSupported:              []string{"S256"},
		ClientIDMetadataDocumentSupported:          true,
		AuthorizationResponseIssParameterSupported: true,
		ResponseModesSupported:                     []string{"query"},
	}
	if s.asmJSON, err = json.Marshal(asm); err != nil {
		return err
	}
	return nil
}
