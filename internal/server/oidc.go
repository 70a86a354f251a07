package server

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/dothi-city/dothi/internal/auth"
	"github.com/dothi-city/dothi/internal/authhttp"
)

// OIDCConfig configures login with the province's OpenID Connect identity
// provider (auth.oidc). See the README for an example.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL (discovery at
	// Issuer/.well-known/openid-configuration).
	Issuer string `yaml:"issuer"`
	// ClientID and ClientSecret are Dothi's registration at the provider;
	// the secret may instead be read from ClientSecretFile or the
	// environment variable DOTHI_OIDC_CLIENT_SECRET.
	ClientID         string `yaml:"clientID"`
	ClientSecret     string `yaml:"clientSecret"`
	ClientSecretFile string `yaml:"clientSecretFile"`
	// RedirectURL is https://HOST/api/v1/auth/oidc/callback, as registered.
	RedirectURL string `yaml:"redirectURL"`
	// Scopes to ask for besides openid (default profile, email).
	Scopes []string `yaml:"scopes"`
	// UsernameClaim carries the Dothi username (preferred_username);
	// NameClaim the display name (name).
	UsernameClaim string `yaml:"usernameClaim"`
	NameClaim     string `yaml:"nameClaim"`
	// Roles map claims to a Dothi role and agency; the first match wins.
	Roles []auth.ClaimRule `yaml:"roles"`
	// Unmapped is what happens to a person no rule maps: "refuse" (the
	// default) or "citizen".
	Unmapped string `yaml:"unmapped"`
	// AfterLogin is the page the browser lands on after login ("/").
	AfterLogin string `yaml:"afterLogin"`
	// DiscoveryTimeout bounds one discovery attempt (10s); start-up never
	// waits for it, failures are logged and retried.
	DiscoveryTimeout time.Duration `yaml:"discoveryTimeout"`
}

// oidcConfig turns auth.oidc into authhttp's configuration; nil when
// OpenID Connect is not configured.
func (c *Config) oidcConfig() (*authhttp.OIDCConfig, error) {
	o := c.Auth.OIDC
	if o == nil || o.Issuer == "" {
		return nil, nil
	}
	secret := o.ClientSecret
	if o.ClientSecretFile != "" {
		data, err := os.ReadFile(o.ClientSecretFile)
		if err != nil {
			return nil, fmt.Errorf("config: auth.oidc.clientSecretFile: %w", err)
		}
		secret = strings.TrimSpace(string(data))
	}
	if secret == "" {
		secret = os.Getenv("DOTHI_OIDC_CLIENT_SECRET")
	}
	out := &authhttp.OIDCConfig{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: secret, RedirectURL: o.RedirectURL,
		Scopes: o.Scopes, UsernameClaim: o.UsernameClaim, NameClaim: o.NameClaim, Rules: o.Roles,
		Unmapped: o.Unmapped, AfterLogin: o.AfterLogin, DiscoveryTimeout: o.DiscoveryTimeout}
	if err := out.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return out, nil
}

// setupOIDC builds the OpenID Connect login, when configured, and starts
// its discovery in the background.
func (s *Server) setupOIDC() error {
	cfg, err := s.cfg.oidcConfig()
	if err != nil || cfg == nil {
		return err
	}
	for i, r := range cfg.Rules {
		if _, ok := s.auth.Tree().Get(r.Agency); r.Agency != "" && !ok {
			s.log.Warn("auth.oidc.roles: the agency does not exist yet; people this rule maps are refused until it does",
				"rule", i, "agency", r.Agency)
		}
	}
	if s.oidc, err = s.authHTTP.NewOIDC(*cfg); err != nil {
		return err
	}
	s.oidc.Start()
	return nil
}
