package auth

import "testing"

// testTree is a small province: a department, a district with two wards,
// and a second district.
func testTree(t *testing.T) *AgencyTree {
	t.Helper()
	tree, err := NewAgencyTree([]Agency{
		{ID: "brvt", Name: "UBND tỉnh", Kind: KindProvince},
		{ID: "stnmt", ParentID: "brvt", Name: "Sở TN&MT", Kind: KindDepartment},
		{ID: "vungtau", ParentID: "brvt", Name: "TP Vũng Tàu", Kind: KindDistrict},
		{ID: "p1", ParentID: "vungtau", Name: "Phường 1", Kind: KindWard},
		{ID: "p2", ParentID: "vungtau", Name: "Phường 2", Kind: KindWard},
		{ID: "baria", ParentID: "brvt", Name: "TP Bà Rịa", Kind: KindDistrict},
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func user(tree *AgencyTree, role Role, agency string, tenants ...string) *Principal {
	return &Principal{Kind: PrincipalUser, ID: string(role), Role: role, Agency: agency, Within: tree.Subtree(agency), Tenants: tenants}
}

func key(tree *AgencyTree, role Role, agency string, s Scope) *Principal {
	return &Principal{Kind: PrincipalKey, ID: "k", Role: role, Agency: agency, Within: tree.Subtree(agency), Scope: &s}
}

func TestAllowed(t *testing.T) {
	tree := testTree(t)
	aq := []string{"https://smartdatamodels.org/dataModel.Environment/AirQualityObserved"}
	own := func(agency string, lvl Level) Resource { return Resource{Types: aq, Agency: agency, Level: lvl} }
	cases := []struct {
		name string
		p    *Principal
		a    Action
		r    Resource
		want bool
	}{
		{"anonymous reads nothing", nil, ActionRead, own("", LevelPublic), false},
		{"admin writes anything", user(tree, RoleAdmin, ""), ActionWrite, own("p1", LevelRestricted), true},
		{"admin manages accounts", user(tree, RoleAdmin, ""), ActionManage, Resource{}, true},
		{"leader reads restricted data of any agency", user(tree, RoleLeader, "brvt"), ActionRead, own("p2", LevelRestricted), true},
		{"leader writes nothing", user(tree, RoleLeader, "brvt"), ActionWrite, own("brvt", LevelInternal), false},
		{"leader reads the audit log", user(tree, RoleLeader, "brvt"), ActionAudit, Resource{}, true},
		{"leader does not manage accounts", user(tree, RoleLeader, "brvt"), ActionManage, Resource{}, false},
		{"staff reads own restricted data", user(tree, RoleStaff, "stnmt"), ActionRead, own("stnmt", LevelRestricted), true},
		{"staff writes own data", user(tree, RoleStaff, "stnmt"), ActionWrite, own("stnmt", LevelInternal), true},
		{"staff reads another agency's restricted data", user(tree, RoleStaff, "stnmt"), ActionRead, own("vungtau", LevelRestricted), false},
		{"staff reads another agency's internal data", user(tree, RoleStaff, "p1"), ActionRead, own("p2", LevelInternal), false},
		{"staff reads another agency's public data", user(tree, RoleStaff, "p1"), ActionRead, own("p2", LevelPublic), true},
		{"staff writes another agency's data", user(tree, RoleStaff, "p1"), ActionWrite, own("p2", LevelPublic), false},
		{"district staff reads a ward's restricted data", user(tree, RoleStaff, "vungtau"), ActionRead, own("p1", LevelRestricted), true},
		{"ward staff reads the district's internal data", user(tree, RoleStaff, "p1"), ActionRead, own("vungtau", LevelInternal), false},
		{"staff reads unowned internal data", user(tree, RoleStaff, "p1"), ActionRead, own("", LevelInternal), true},
		{"staff reads unowned restricted data", user(tree, RoleStaff, "p1"), ActionRead, own("", LevelRestricted), false},
		{"staff writes unowned data", user(tree, RoleStaff, "p1"), ActionWrite, own("", LevelInternal), false},
		{"unknown level counts as restricted", user(tree, RoleStaff, "p1"), ActionRead, own("p2", Level("Public ")), false},
		{"staff does not manage accounts", user(tree, RoleStaff, "brvt"), ActionManage, Resource{}, false},
		{"operator reads other agencies' internal data", user(tree, RoleOperator, "stnmt"), ActionRead, own("baria", LevelInternal), true},
		{"operator reads other agencies' restricted data", user(tree, RoleOperator, "stnmt"), ActionRead, own("baria", LevelRestricted), false},
		{"operator writes unowned (IOC) data", user(tree, RoleOperator, "stnmt"), ActionWrite, own("", LevelInternal), true},
		{"operator writes another agency's data", user(tree, RoleOperator, "stnmt"), ActionWrite, own("baria", LevelInternal), false},
		{"citizen reads public data", user(tree, RoleCitizen, ""), ActionRead, own("p1", LevelPublic), true},
		{"citizen reads internal data", user(tree, RoleCitizen, ""), ActionRead, own("", LevelInternal), false},
		{"citizen writes", user(tree, RoleCitizen, ""), ActionWrite, own("", LevelPublic), false},
		{"user reads another tenant", user(tree, RoleLeader, "brvt"), ActionRead, Resource{Tenant: "other", Agency: "brvt"}, false},
		{"user reads a listed tenant", user(tree, RoleLeader, "brvt", "vt"), ActionRead, Resource{Tenant: "vt", Agency: "brvt"}, true},
		{"user with tenants lacks the default tenant", user(tree, RoleLeader, "brvt", "vt"), ActionRead, Resource{Agency: "brvt"}, false},
		{"user with * reads every tenant", user(tree, RoleLeader, "brvt", "*"), ActionRead, Resource{Tenant: "x"}, true},
		{"admin reads every tenant", user(tree, RoleAdmin, ""), ActionRead, Resource{Tenant: "x"}, true},
		{"unknown role gets nothing", user(tree, Role("root"), "brvt"), ActionRead, own("brvt", LevelPublic), false},
		{"unknown action is refused", user(tree, RoleAdmin, ""), Action("delete"), own("", LevelPublic), false},
	}
	for _, c := range cases {
		if got := Allowed(c.p, c.a, c.r); got != c.want {
			t.Errorf("%s: Allowed = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestAllowedKeys(t *testing.T) {
	tree := testTree(t)
	aq := "https://smartdatamodels.org/dataModel.Environment/AirQualityObserved"
	rw := Scope{Tenant: "vt", Types: []string{"AirQualityObserved"}, Read: true, Write: true}
	ro := Scope{Tenant: "vt", Read: true}
	res := func(tenant, typ, agency string, lvl Level) Resource {
		return Resource{Tenant: tenant, Types: []string{typ}, Agency: agency, Level: lvl}
	}
	cases := []struct {
		name string
		p    *Principal
		a    Action
		r    Resource
		want bool
	}{
		{"scoped key writes its type in its tenant", key(tree, RoleIntegrator, "", rw), ActionWrite, res("vt", aq, "", ""), true},
		{"scoped key matches the short type name only at a boundary", key(tree, RoleIntegrator, "", rw), ActionWrite, res("vt", "https://x/FakeAirQualityObserved", "", ""), false},
		{"scoped key writes another type", key(tree, RoleIntegrator, "", rw), ActionWrite, res("vt", "https://x/Parking", "", ""), false},
		{"entity with one type outside the scope", key(tree, RoleIntegrator, "", rw), ActionRead, Resource{Tenant: "vt", Types: []string{aq, "https://x/Parking"}}, false},
		{"typed scope refuses an untyped request", key(tree, RoleIntegrator, "", rw), ActionRead, Resource{Tenant: "vt"}, false},
		{"key used on another tenant", key(tree, RoleIntegrator, "", rw), ActionRead, res("other", aq, "", ""), false},
		{"key used on the default tenant", key(tree, RoleIntegrator, "", rw), ActionRead, res("", aq, "", ""), false},
		{"read-only key writes", key(tree, RoleIntegrator, "", ro), ActionWrite, res("vt", aq, "", ""), false},
		{"read-only key reads", key(tree, RoleIntegrator, "", ro), ActionRead, res("vt", aq, "stnmt", LevelInternal), true},
		{"unbound key reads restricted data", key(tree, RoleIntegrator, "", ro), ActionRead, res("vt", aq, "stnmt", LevelRestricted), false},
		{"unbound key writes agency data", key(tree, RoleIntegrator, "", rw), ActionWrite, res("vt", aq, "stnmt", ""), false},
		{"bound key writes its agency's data", key(tree, RoleIntegrator, "stnmt", rw), ActionWrite, res("vt", aq, "stnmt", ""), true},
		{"bound key reads another agency's internal data", key(tree, RoleIntegrator, "stnmt", rw), ActionRead, res("vt", aq, "p1", ""), false},
		{"leader key with write scope still cannot write", key(tree, RoleLeader, "brvt", Scope{Tenant: "*", Read: true, Write: true}), ActionWrite, res("x", aq, "brvt", ""), false},
		{"admin key limited to its tenant", key(tree, RoleAdmin, "", Scope{Tenant: "vt", Read: true, Write: true}), ActionWrite, res("other", aq, "", ""), false},
		{"admin key with * tenant", key(tree, RoleAdmin, "", Scope{Tenant: "*", Read: true, Write: true}), ActionWrite, res("other", aq, "p1", LevelRestricted), true},
		{"read-only admin key cannot manage", key(tree, RoleAdmin, "", Scope{Tenant: "*", Read: true}), ActionManage, Resource{}, false},
		{"admin key with write manages", key(tree, RoleAdmin, "", Scope{Tenant: "*", Write: true}), ActionManage, Resource{}, true},
		{"integrator key cannot manage", key(tree, RoleIntegrator, "", Scope{Tenant: "*", Read: true, Write: true}), ActionManage, Resource{}, false},
		{"key principal without scope gets nothing", &Principal{Kind: PrincipalKey, Role: RoleAdmin}, ActionRead, Resource{}, false},
	}
	for _, c := range cases {
		if got := Allowed(c.p, c.a, c.r); got != c.want {
			t.Errorf("%s: Allowed = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestMayUseTenant(t *testing.T) {
	tree := testTree(t)
	if MayUseTenant(nil, "") {
		t.Error("anonymous may use a tenant")
	}
	if !MayUseTenant(user(tree, RoleStaff, "p1"), "") || MayUseTenant(user(tree, RoleStaff, "p1"), "vt") {
		t.Error("a user without tenants may use exactly the default tenant")
	}
	if !MayUseTenant(key(tree, RoleIntegrator, "", Scope{Tenant: "vt", Read: true}), "vt") {
		t.Error("a key may use its tenant")
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]Level{"": LevelInternal, "internal": LevelInternal, "PUBLIC": LevelPublic,
		"restricted": LevelRestricted, "secret": LevelRestricted} {
		if got := ParseLevel(in); got != want {
			t.Errorf("ParseLevel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMayAct(t *testing.T) {
	tree := testTree(t)
	cases := []struct {
		p      *Principal
		a      Action
		tenant string
		want   bool
	}{
		{nil, ActionRead, "", false},
		{user(tree, RoleLeader, "brvt"), ActionRead, "", true},
		{user(tree, RoleLeader, "brvt"), ActionWrite, "", false},
		{user(tree, RoleCitizen, ""), ActionWrite, "", false},
		{user(tree, RoleStaff, "p1"), ActionWrite, "", true},
		{user(tree, RoleStaff, "p1"), ActionWrite, "vt", false},
		{key(tree, RoleIntegrator, "", Scope{Tenant: "vt", Read: true}), ActionWrite, "vt", false},
		{key(tree, RoleIntegrator, "", Scope{Tenant: "vt", Read: true}), ActionRead, "vt", true},
		{user(tree, Role("root"), ""), ActionRead, "", false},
		{user(tree, RoleAdmin, ""), ActionManage, "", false},
	}
	for i, c := range cases {
		if got := MayAct(c.p, c.a, c.tenant); got != c.want {
			t.Errorf("case %d: MayAct = %v, want %v", i, got, c.want)
		}
	}
}

func TestPrincipalContext(t *testing.T) {
	ctx := t.Context()
	if FromContext(ctx) != nil {
		t.Error("a bare context has a principal")
	}
	p := &Principal{ID: "x"}
	if FromContext(WithPrincipal(ctx, p)) != p {
		t.Error("the principal did not round-trip")
	}
}
