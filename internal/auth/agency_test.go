package auth

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestAgencyTreeSubtree(t *testing.T) {
	tree := testTree(t)
	got := slices.Sorted(maps.Keys(tree.Subtree("vungtau")))
	if !slices.Equal(got, []string{"p1", "p2", "vungtau"}) {
		t.Errorf("Subtree(vungtau) = %v", got)
	}
	if len(tree.Subtree("nowhere")) != 0 {
		t.Error("an unknown agency has a subtree")
	}
	all := tree.All()
	if len(all) != 6 || all[0].ID != "brvt" {
		t.Errorf("All = %v, want 6 agencies, root first", all)
	}
}

func TestAgencyTreeRejects(t *testing.T) {
	tree := testTree(t)
	bad := map[string]Agency{
		"cannot sit under": {ID: "w", ParentID: "brvt", Name: "W", Kind: KindWard},
		"does not exist":   {ID: "d", ParentID: "nope", Name: "D", Kind: KindDistrict},
		"1 to 64":          {ID: "Bad ID", ParentID: "brvt", Name: "B", Kind: KindDepartment},
		"name is required": {ID: "x", ParentID: "brvt", Kind: KindDepartment},
		"cannot sit":       {ID: "p9", Name: "Orphan ward", Kind: KindWard},
	}
	for want, a := range bad {
		if _, err := tree.With(a); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("With(%+v) = %v, want an error with %q", a, err, want)
		}
	}
	if _, err := tree.With(Agency{ID: "p1", ParentID: "vungtau", Name: "again", Kind: KindWard}); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate agency: %v, want ErrExists", err)
	}
	if _, err := tree.With(Agency{ID: "team", ParentID: "p1", Name: "Tổ dân phố", Kind: KindUnit}); err != nil {
		t.Errorf("a unit under a ward: %v", err)
	}
}

func TestAgencyTreeRejectsCycle(t *testing.T) {
	_, err := NewAgencyTree([]Agency{
		{ID: "root", Name: "R", Kind: KindProvince},
		{ID: "a", ParentID: "b", Name: "A", Kind: KindUnit},
		{ID: "b", ParentID: "a", Name: "B", Kind: KindUnit},
	})
	if err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("cycle accepted: %v", err)
	}
}
