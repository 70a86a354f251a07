package auth

import (
	"slices"
	"strings"
)

// Action is what a principal wants to do.
type Action string

// The actions the permission model knows.
const (
	// ActionRead reads data (entities, attributes, queries).
	ActionRead Action = "read"
	// ActionWrite creates, updates or deletes data.
	ActionWrite Action = "write"
	// ActionManage administers agencies, users and API keys.
	ActionManage Action = "manage"
	// ActionAudit reads or verifies the audit log.
	ActionAudit Action = "audit"
)

// Level is how widely a piece of data may be read.
type Level string

// The access levels. The zero value is LevelInternal; an unknown level is
// treated as LevelRestricted.
const (
	// LevelInternal data is read by officials of the owning agency (and those
	// who read across agencies: operators, leaders).
	LevelInternal Level = ""
	// LevelPublic data is open data: every principal reads it.
	LevelPublic Level = "public"
	// LevelRestricted data (personal data, internal cases) is read only
	// within the owning agency and by leaders and administrators.
	LevelRestricted Level = "restricted"
)

// ParseLevel maps the accessLevel value of an entity to a Level; anything
// it does not know is restricted, so a typo never opens data.
func ParseLevel(s string) Level {
	switch strings.ToLower(s) {
	case "", "internal":
		return LevelInternal
	case "public":
		return LevelPublic
	}
	return LevelRestricted
}

// Resource is the data an action is about.
type Resource struct {
	// Tenant is the NGSI-LD tenant ("" is the default tenant).
	Tenant string
	// Types are the entity types (expanded IRIs or short names).
	Types []string
	// Agency is the id of the owning agency; "" is unowned platform data.
	Agency string
	// Level is the access level of the data.
	Level Level
}

// PrincipalKind tells a person from a machine.
type PrincipalKind string

// The kinds of principal.
const (
	PrincipalUser PrincipalKind = "user"
	PrincipalKey  PrincipalKind = "key"
	// PrincipalClient is an OAuth2 client holding an access token.
	PrincipalClient PrincipalKind = "client"
)

// Scope limits what an API key may do, whatever its role.
type Scope struct {
	// Tenant is the only tenant the key may use; "*" means every tenant.
	Tenant string `json:"tenant"`
	// Types are the entity types the key may touch; empty means every type.
	// A short name (no ':') also matches an expanded IRI ending in /Name or #Name.
	Types []string `json:"types,omitempty"`
	Read  bool     `json:"read"`
	Write bool     `json:"write"`
}

// Principal is an authenticated user or API key.
type Principal struct {
	Kind PrincipalKind `json:"kind"`
	// ID is the user id or the key id; Name the username or key name.
	ID   string `json:"id"`
	Name string `json:"name"`
	Role Role   `json:"role"`
	// Agency is the agency the principal belongs to ("" for none).
	Agency string `json:"agency,omitempty"`
	// Within is Agency and every agency below it.
	Within map[string]bool `json:"-"`
	// Tenants a user may use ("*" for all; empty means the default tenant
	// only). Ignored for keys, whose Scope.Tenant rules.
	Tenants []string `json:"tenants,omitempty"`
	// Scope is set for API keys and OAuth2 clients only.
	Scope *Scope `json:"scope,omitempty"`
}

// Allowed reports whether p may perform a on r. A nil principal (anonymous)
// may do nothing; open-data routes that need no login do not call Allowed.
//
// Data (read, write) also needs the principal's tenants, and a key's scope
// (tenant, types, read/write), to allow it. "Subtree" is the principal's
// agency and every agency below it:
//
//	admin       everything
//	leader      reads everything, writes nothing
//	operator    reads all but other agencies' restricted data; writes its subtree's and unowned data
//	staff       reads public data, unowned internal data and all of its subtree; writes its subtree's data
//	integrator  bound to an agency: as staff; unbound: reads non-restricted data, writes unowned data
//	citizen     reads public data
//
// Managing agencies, users and keys is for admins; the audit log is read
// by admins and leaders.
func Allowed(p *Principal, a Action, r Resource) bool {
	if p == nil {
		return false
	}
	switch a {
	case ActionManage:
		return p.Role == RoleAdmin && p.scopeAllows(ActionWrite)
	case ActionAudit:
		return (p.Role == RoleAdmin || p.Role == RoleLeader) && p.scopeAllows(ActionRead)
	case ActionRead, ActionWrite:
		return p.tenantAllowed(r.Tenant) && p.scopeAllows(a) && p.typesAllowed(r.Types) && p.roleAllows(a, r)
	}
	return false
}

// scopeAllows applies a key's read/write scope; users are not limited.
func (p *Principal) scopeAllows(a Action) bool {
	if p.Scope == nil {
		return p.Kind == PrincipalUser
	}
	if a == ActionWrite {
		return p.Scope.Write
	}
	return p.Scope.Read
}

// tenantAllowed reports whether p may use tenant t.
func (p *Principal) tenantAllowed(t string) bool {
	if p.Scope != nil {
		return p.Scope.Tenant == "*" || p.Scope.Tenant == t
	}
	if p.Kind != PrincipalUser {
		return false
	}
	if p.Role == RoleAdmin || slices.Contains(p.Tenants, "*") {
		return true
	}
	if len(p.Tenants) == 0 {
		return t == ""
	}
	return slices.Contains(p.Tenants, t)
}

// typesAllowed reports whether every type is in a key's scope.
func (p *Principal) typesAllowed(types []string) bool {
	if p.Scope == nil || len(p.Scope.Types) == 0 {
		return true
	}
	if len(types) == 0 {
		return false
	}
	for _, t := range types {
		if !slices.ContainsFunc(p.Scope.Types, func(s string) bool { return typeMatches(s, t) }) {
			return false
		}
	}
	return true
}

// typeMatches reports whether the scope type s names the entity type t.
func typeMatches(s, t string) bool {
	if s == t {
		return true
	}
	if strings.Contains(s, ":") || !strings.HasSuffix(t, s) {
		return false
	}
	rest := t[:len(t)-len(s)]
	return strings.HasSuffix(rest, "/") || strings.HasSuffix(rest, "#")
}

// owns reports whether r belongs to p's agency or one below it.
func (p *Principal) owns(r Resource) bool {
	return r.Agency != "" && p.Within[r.Agency]
}

// roleAllows applies the role rules to reading or writing data.
func (p *Principal) roleAllows(a Action, r Resource) bool {
	lvl := ParseLevel(string(r.Level))
	switch p.Role {
	case RoleAdmin:
		return true
	case RoleLeader:
		return a == ActionRead
	case RoleOperator:
		if a == ActionRead {
			return lvl != LevelRestricted || p.owns(r)
		}
		return p.owns(r) || r.Agency == ""
	case RoleStaff:
		if a == ActionRead {
			return lvl == LevelPublic || p.owns(r) || (r.Agency == "" && lvl == LevelInternal)
		}
		return p.owns(r)
	case RoleIntegrator:
		return p.integratorAllows(a, r, lvl)
	case RoleCitizen:
		return a == ActionRead && lvl == LevelPublic
	}
	return false
}

// integratorAllows: a key bound to an agency works like that agency's
// staff; an unbound key reads non-restricted data and writes unowned data
// only, within its scope.
func (p *Principal) integratorAllows(a Action, r Resource, lvl Level) bool {
	if p.Agency != "" {
		if a == ActionRead {
			return lvl == LevelPublic || p.owns(r) || (r.Agency == "" && lvl == LevelInternal)
		}
		return p.owns(r)
	}
	if a == ActionRead {
		return lvl != LevelRestricted
	}
	return r.Agency == ""
}

// MayUseTenant reports whether p may act in tenant t at all; a cheap
// check before a query whose entities are then filtered with Allowed.
func MayUseTenant(p *Principal, t string) bool {
	return p != nil && p.tenantAllowed(t)
}

// MayAct reports whether p could be allowed action a on some data of
// tenant t: a cheap guard in front of a route, before the entity (and so
// its owner and level) is known. Allowed still decides per entity.
func MayAct(p *Principal, a Action, t string) bool {
	if p == nil || !p.tenantAllowed(t) || !p.scopeAllows(a) {
		return false
	}
	switch a {
	case ActionRead:
		return slices.Contains(Roles, p.Role)
	case ActionWrite:
		return p.Role == RoleAdmin || p.Role == RoleOperator || p.Role == RoleStaff || p.Role == RoleIntegrator
	}
	return false
}
