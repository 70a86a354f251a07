package broker_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/dothi-city/dothi/internal/auth"
	"github.com/dothi-city/dothi/internal/broker"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
	"github.com/dothi-city/dothi/internal/store/sqlite"
)

func entity(id, owner, level string) *ngsild.Entity {
	e := &ngsild.Entity{ID: id, Types: []string{ngsild.IRIDefaultCtx + "Bin"}, Attrs: map[string][]*ngsild.Attribute{}}
	if owner != "" {
		e.Attrs[auth.AttrOwningAgency] = []*ngsild.Attribute{{Type: ngsild.TypeRelationship, Object: auth.AgencyURNPrefix + owner}}
	}
	if level != "" {
		e.Attrs[auth.AttrAccessLevel] = []*ngsild.Attribute{{Type: ngsild.TypeProperty, Value: level}}
	}
	return e
}

func staff(agency string) *auth.Principal {
	return &auth.Principal{Kind: auth.PrincipalUser, ID: "u-" + agency, Name: agency, Role: auth.RoleStaff, Agency: agency, Within: map[string]bool{agency: true}}
}

func TestAccessControl(t *testing.T) {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "dothi.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var audited []string
	b := broker.New(st, broker.WithAccessControl(), broker.WithReadAudit(func(_ context.Context, _, id string) { audited = append(audited, id) }))
	bg := context.Background()
	sys := broker.System(bg)
	tnmt := auth.WithPrincipal(bg, staff("so-tnmt"))
	gtvt := auth.WithPrincipal(bg, staff("so-gtvt"))
	const secret, open = "urn:ngsi-ld:Bin:secret", "urn:ngsi-ld:Bin:open"

	if err := b.CreateEntity(bg, "", entity(open, "", "public")); !ngsild.IsType(err, ngsild.ErrUnauthorized) {
		t.Errorf("write without principal or system mark: %v, want Unauthorized", err)
	}
	if _, err := b.Entity(bg, "", open); !ngsild.IsType(err, ngsild.ErrUnauthorized) {
		t.Errorf("read without principal: %v, want Unauthorized", err)
	}
	if err := b.CreateEntity(sys, "", entity(open, "", "public")); err != nil {
		t.Fatalf("system write: %v", err)
	}
	if err := b.CreateEntity(gtvt, "", entity(secret, "so-tnmt", "restricted")); !ngsild.IsType(err, ngsild.ErrForbidden) {
		t.Errorf("create for another agency: %v, want Forbidden", err)
	}
	if err := b.CreateEntity(tnmt, "", entity(secret, "so-tnmt", "restricted")); err != nil {
		t.Fatalf("create for own agency: %v", err)
	}
	if _, err := b.Entity(gtvt, "", secret); !ngsild.IsType(err, ngsild.ErrResourceNotFound) {
		t.Errorf("read of another agency's restricted entity: %v, want ResourceNotFound", err)
	}
	if _, err := b.Entity(tnmt, "", secret); err != nil || len(audited) != 1 || audited[0] != secret {
		t.Errorf("own read: %v, audited %v", err, audited)
	}
	res, err := b.Query(gtvt, "", &store.Query{Limit: 10})
	if err != nil || len(res.Entities) != 1 || res.Entities[0].ID != open {
		t.Errorf("query of staff of Sở GTVT: %v %v, want only %s", err, res, open)
	}
	if err := b.DeleteEntity(gtvt, "", secret); !ngsild.IsType(err, ngsild.ErrResourceNotFound) {
		t.Errorf("delete of an unreadable entity: %v, want ResourceNotFound", err)
	}
	move := entity(secret, "so-gtvt", "")
	delete(move.Attrs, auth.AttrAccessLevel)
	if err := b.MergeEntity(tnmt, "", secret, move); !ngsild.IsType(err, ngsild.ErrForbidden) {
		t.Errorf("moving an entity to another agency: %v, want Forbidden", err)
	}
	if e, err := b.Entity(sys, "", secret); err != nil || auth.EntityResource("", e).Agency != "so-tnmt" {
		t.Errorf("after the refused move: %v %v", e, err)
	}
	errs, err := b.BatchDelete(tnmt, "", []string{secret, open})
	if err != nil || errs[0] != nil || !ngsild.IsType(errs[1], ngsild.ErrForbidden) {
		t.Errorf("batch delete: %v %v, want own entity deleted and the unowned one refused", errs, err)
	}
}
