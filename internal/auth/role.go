package auth

import "fmt"

// Role is what a principal is in the province's organisation.
type Role string

// The roles of the platform.
const (
	// RoleAdmin is the system administrator: everything, including accounts.
	RoleAdmin Role = "admin"
	// RoleOperator is an IOC operator: reads all non-restricted data of the
	// province and works on its own agency's and unowned (IOC) data.
	RoleOperator Role = "operator"
	// RoleLeader is a provincial leader: reads everything, writes nothing.
	RoleLeader Role = "leader"
	// RoleStaff is agency staff: their agency's (and sub-agencies') data.
	RoleStaff Role = "staff"
	// RoleIntegrator is a machine client: what its key's scope grants.
	RoleIntegrator Role = "integrator"
	// RoleCitizen is a citizen account: public data only.
	RoleCitizen Role = "citizen"
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleAdmin, RoleOperator, RoleLeader, RoleStaff, RoleIntegrator, RoleCitizen}

// ParseRole returns the role named s, or an error for an unknown name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q (one of admin, operator, leader, staff, integrator, citizen)", s)
}

// Official reports whether the role belongs to a government official,
// whose login needs a second factor by default.
func (r Role) Official() bool {
	switch r {
	case RoleAdmin, RoleOperator, RoleLeader, RoleStaff:
		return true
	}
	return false
}
