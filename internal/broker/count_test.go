package broker_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/dothi-city/dothi/internal/auth"
	"github.com/dothi-city/dothi/internal/broker"
	"github.com/dothi-city/dothi/internal/store"
	"github.com/dothi-city/dothi/internal/store/sqlite"
)

// TestCountsOnlyReadableEntities: a count must not reveal how many
// entities a principal may not read, whatever the page asked for.
func TestCountsOnlyReadableEntities(t *testing.T) {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "dothi.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	b := broker.New(st, broker.WithAccessControl())
	bg := context.Background()
	sys := broker.System(bg)
	for i := range 7 {
		level := "public"
		if i%2 == 0 {
			level = "restricted" // 4 restricted, 3 public
		}
		if err := b.CreateEntity(sys, "", entity(fmt.Sprintf("urn:ngsi-ld:Bin:%d", i), "so-tnmt", level)); err != nil {
			t.Fatal(err)
		}
	}
	gtvt := auth.WithPrincipal(bg, staff("so-gtvt"))
	tnmt := auth.WithPrincipal(bg, staff("so-tnmt"))
	leader := auth.WithPrincipal(bg, &auth.Principal{Kind: auth.PrincipalUser, ID: "l", Role: auth.RoleLeader})
	for _, c := range []struct {
		name  string
		ctx   context.Context
		limit int
		want  int
	}{
		{"other agency, count only", gtvt, 0, 3},
		{"other agency, short page", gtvt, 2, 3},
		{"other agency, whole page", gtvt, 100, 3},
		{"owner", tnmt, 0, 7},
		{"leader", leader, 0, 7},
	} {
		res, err := b.Query(c.ctx, "", &store.Query{Limit: c.limit, Count: true})
		if err != nil || res.Count != c.want {
			t.Errorf("%s: count %v (%v), want %d", c.name, res, err, c.want)
		}
	}
}
