package server

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dothi-city/dothi/internal/auth"
)

// Config is the whole configuration of a dothi server. Its zero value is not
// usable; start from DefaultConfig.
type Config struct {
	// Addr is the HTTP listen address.
	Addr string `yaml:"addr"`
	// PublicURL is the base URL clients reach the platform at (behind a
	// load balancer, say); empty to use the Host of each request.
	PublicURL string `yaml:"publicURL"`
	// Data is the directory of the embedded store and other local state.
	Data string `yaml:"data"`
	// Store selects the store: empty for the embedded SQLite store in Data.
	Store string `yaml:"store"`
	// Sync is the durability of the embedded store: "full" (fsync on every
	// commit, survives power loss) or "normal" (survives a process crash).
	Sync string `yaml:"sync"`
	// Log configures logging.
	Log LogConfig `yaml:"log"`
	// Contexts configures how JSON-LD contexts are found.
	Contexts ContextsConfig `yaml:"contexts"`
	// Limits bounds what one request may ask.
	Limits LimitsConfig `yaml:"limits"`
	// Demo runs the living demo city of Vũng Tàu inside the server.
	Demo DemoConfig `yaml:"demo"`
	// UI configures the web interface.
	UI UIConfig `yaml:"ui"`
	// Auth configures accounts and sessions.
	Auth AuthConfig `yaml:"auth"`
	// TLS serves HTTPS from certificate files.
	TLS TLSConfig `yaml:"tls"`
	// MetricsAddr serves /metrics on a separate listen address (for a
	// Prometheus on an internal network), without authentication; empty to
	// serve /metrics on Addr to admins and operators only.
	MetricsAddr string `yaml:"metricsAddr"`
	// ShutdownTimeout bounds how long a graceful shutdown waits for requests.
	ShutdownTimeout time.Duration `yaml:"shutdownTimeout"`
}

// AuthConfig configures accounts and sessions.
type AuthConfig struct {
	// InsecureCookies drops Secure from the session cookie: plain-HTTP
	// development only (dothi serve --demo turns it on).
	InsecureCookies bool `yaml:"insecureCookies"`
	// TrustedProxies are CIDRs of reverse proxies whose X-Forwarded-For is believed.
	TrustedProxies []string `yaml:"trustedProxies"`
	// TOTPRoles must log in with a TOTP code; unset: admin, operator, leader
	// and staff (none in the demo); an empty list: no role.
	TOTPRoles []string `yaml:"totpRoles"`
	// SessionTTL is the absolute lifetime of a session (12h).
	SessionTTL time.Duration `yaml:"sessionTTL"`
	// IdleTimeout ends a session unused for this long (30m).
	IdleTimeout time.Duration `yaml:"idleTimeout"`
	// AccessTokenTTL is the lifetime of an OAuth2 access token from
	// POST /api/v1/auth/token (1h).
	AccessTokenTTL time.Duration `yaml:"accessTokenTTL"`
	// OIDC configures login with an OpenID Connect identity provider.
	OIDC *OIDCConfig `yaml:"oidc"`
}

// TLSConfig names the certificate files of HTTPS.
type TLSConfig struct {
	// CertFile is the PEM certificate chain; KeyFile its private key.
	CertFile string `yaml:"certFile"`
	KeyFile  string `yaml:"keyFile"`
}

// Enabled reports whether HTTPS is configured.
func (t TLSConfig) Enabled() bool { return t.CertFile != "" }

// totpRoles turns the configured list into auth's option: nil for the
// defaults (no role in the demo, whose accounts have no second factor).
func (c *Config) totpRoles() (map[auth.Role]bool, error) {
	if c.Auth.TOTPRoles == nil {
		if c.Demo.Enabled {
			return map[auth.Role]bool{}, nil
		}
		return nil, nil
	}
	roles := map[auth.Role]bool{}
	for _, name := range c.Auth.TOTPRoles {
		r, err := auth.ParseRole(name)
		if err != nil {
			return nil, fmt.Errorf("config: auth.totpRoles: %w", err)
		}
		roles[r] = true
	}
	return roles, nil
}

// trustedProxies parses auth.trustedProxies.
func (c *Config) trustedProxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range c.Auth.TrustedProxies {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			if a, aerr := netip.ParseAddr(s); aerr == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			} else {
				return nil, fmt.Errorf("config: auth.trustedProxies: %q is not a CIDR", s)
			}
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// LogConfig configures the structured log.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// ContextsConfig says where JSON-LD contexts come from.
type ContextsConfig struct {
	// Dir holds .jsonld files keyed by URL in Dir/index.json, for
	// air-gapped data centres.
	Dir string `yaml:"dir"`
	// AllowRemote lists the hosts whose contexts may be fetched ("*": any).
	AllowRemote []string `yaml:"allowRemote"`
	// FetchTimeout bounds one remote fetch.
	FetchTimeout time.Duration `yaml:"fetchTimeout"`
}

// DemoConfig configures the simulated demo city.
type DemoConfig struct {
	// Enabled creates the demo agencies and accounts (see README) and runs
	// the demo city.
	Enabled bool `yaml:"enabled"`
	// AccountsOnly keeps the demo accounts but runs no city (browser tests).
	AccountsOnly bool `yaml:"accountsOnly"`
	// Devices is the number of simulated devices; 0 for the named catalogue.
	Devices int `yaml:"devices"`
	// Interval between two measurements of every device.
	Interval time.Duration `yaml:"interval"`
	// Seed makes the city reproducible.
	Seed uint64 `yaml:"seed"`
}

// UIConfig configures the web interface. Maps work offline from the
// GeoJSON base layer shipped with the UI; a tile server is optional.
type UIConfig struct {
	// TileURL is a tile server URL template such as
	// https://tiles.example.vn/{z}/{x}/{y}.png; empty for no tiles.
	TileURL string `yaml:"tileURL"`
	// TileAttribution is shown on the map when tiles are used.
	TileAttribution string `yaml:"tileAttribution"`
}

// LimitsConfig bounds requests.
type LimitsConfig struct {
	// MaxBodyBytes caps a request body.
	MaxBodyBytes int64 `yaml:"maxBodyBytes"`
	// MaxPageSize caps the limit parameter of queries.
	MaxPageSize int `yaml:"maxPageSize"`
	// MaxBatch caps the number of entities in one batch operation.
	MaxBatch int `yaml:"maxBatch"`
	// RatePerSecond is the sustained request rate of one client: each
	// user, each API key, and each address for anonymous requests; 0
	// turns rate limiting off. Over it, requests get 429 with Retry-After.
	RatePerSecond float64 `yaml:"ratePerSecond"`
	// Burst is how many requests a client may send at once.
	Burst int `yaml:"burst"`
	// RateExemptRoles are not rate limited; unset: integrator (machine
	// clients feeding data in bulk); an empty list: no role.
	RateExemptRoles []string `yaml:"rateExemptRoles"`
}

// DefaultConfig returns the configuration used when nothing is set.
func DefaultConfig() Config {
	return Config{
		Addr:            ":8080",
		Data:            "./data",
		Sync:            "full",
		Log:             LogConfig{Level: "info", Format: "text"},
		Contexts:        ContextsConfig{FetchTimeout: 3 * time.Second},
		Limits:          LimitsConfig{MaxBodyBytes: 32 << 20, MaxPageSize: 1000, MaxBatch: 10000, RatePerSecond: 50, Burst: 200},
		Demo:            DemoConfig{Interval: 10 * time.Second},
		ShutdownTimeout: 15 * time.Second,
	}
}

// LoadFile reads a YAML configuration file over cfg; keys it lacks keep
// their values.
func LoadFile(cfg *Config, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	switch {
	case c.Addr == "":
		return fmt.Errorf("config: addr is empty")
	case c.Store == "" && c.Data == "":
		return fmt.Errorf("config: data directory is empty")
	case c.Sync != "full" && c.Sync != "normal":
		return fmt.Errorf("config: sync must be full or normal, not %q", c.Sync)
	case c.Limits.MaxBodyBytes <= 0 || c.Limits.MaxPageSize <= 0 || c.Limits.MaxBatch <= 0:
		return fmt.Errorf("config: limits must be positive")
	case c.Contexts.FetchTimeout <= 0:
		return fmt.Errorf("config: contexts.fetchTimeout must be positive")
	case c.Demo.Devices != 0 && (c.Demo.Devices < 10 || c.Demo.Devices > 100_000):
		return fmt.Errorf("config: demo.devices must be 0 (the named catalogue) or 10 to 100000, not %d", c.Demo.Devices)
	case c.Demo.Enabled && c.Demo.Interval < 100*time.Millisecond:
		return fmt.Errorf("config: demo.interval must be at least 100ms")
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		return fmt.Errorf("config: tls needs both certFile and keyFile")
	}
	if c.Auth.SessionTTL < 0 || c.Auth.IdleTimeout < 0 || c.Auth.AccessTokenTTL < 0 {
		return fmt.Errorf("config: auth durations must not be negative")
	}
	if _, err := c.totpRoles(); err != nil {
		return err
	}
	if _, err := c.trustedProxies(); err != nil {
		return err
	}
	if err := c.validateRate(); err != nil {
		return err
	}
	if _, err := c.oidcConfig(); err != nil {
		return err
	}
	if c.Store != "" && !strings.HasPrefix(c.Store, "sqlite:") {
		return fmt.Errorf("config: store %q is not supported yet (only the embedded store)", c.Store)
	}
	return nil
}
