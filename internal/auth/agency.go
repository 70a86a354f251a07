package auth

import (
	"fmt"
	"regexp"
)

// AgencyKind is the level of an agency in the province's organisation.
type AgencyKind string

// The kinds of agency.
const (
	KindProvince   AgencyKind = "province"   // UBND tỉnh, the root
	KindDepartment AgencyKind = "department" // Sở, under the province
	KindDistrict   AgencyKind = "district"   // UBND huyện / thành phố, under the province
	KindWard       AgencyKind = "ward"       // UBND xã / phường, under a district
	KindUnit       AgencyKind = "unit"       // any other unit, under any agency
)

// Agency is one node of the agency tree. ParentID is "" only for the root.
type Agency struct {
	ID       string     `json:"id"`
	ParentID string     `json:"parentId,omitempty"`
	Name     string     `json:"name"`
	Kind     AgencyKind `json:"kind"`
}

// idPattern is what agency, user and key identifiers may hold.
var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// validParent reports whether an agency of kind child may sit under one of
// kind parent ("" parent kind: no parent).
func validParent(child, parent AgencyKind) bool {
	switch child {
	case KindProvince:
		return parent == ""
	case KindDepartment, KindDistrict:
		return parent == KindProvince
	case KindWard:
		return parent == KindDistrict
	case KindUnit:
		return parent != ""
	}
	return false
}

// AgencyTree is an immutable view of all agencies.
type AgencyTree struct {
	byID     map[string]Agency
	children map[string][]string
}

// NewAgencyTree builds a tree and checks that every parent exists and that
// kinds nest as province → department/district → ward.
func NewAgencyTree(list []Agency) (*AgencyTree, error) {
	t := &AgencyTree{byID: map[string]Agency{}, children: map[string][]string{}}
	for _, a := range list {
		t.byID[a.ID] = a
	}
	for _, a := range list {
		if err := t.check(a); err != nil {
			return nil, err
		}
		if a.ParentID != "" {
			t.children[a.ParentID] = append(t.children[a.ParentID], a.ID)
		}
	}
	return t, nil
}

// check validates a against the agencies already in t.
func (t *AgencyTree) check(a Agency) error {
	if !idPattern.MatchString(a.ID) {
		return invalid("agency id %q: 1 to 64 of a-z, 0-9, '_', '.', '-'", a.ID)
	}
	if a.Name == "" {
		return invalid("agency %s: name is required", a.ID)
	}
	var parentKind AgencyKind
	if a.ParentID != "" {
		p, ok := t.byID[a.ParentID]
		if !ok {
			return invalid("agency %s: parent %q does not exist", a.ID, a.ParentID)
		}
		parentKind = p.Kind
	}
	if !validParent(a.Kind, parentKind) {
		return invalid("agency %s: a %q cannot sit under %q", a.ID, a.Kind, orNone(string(parentKind)))
	}
	return t.checkAcyclic(a)
}

// checkAcyclic walks up from a and fails if it comes back to a.
func (t *AgencyTree) checkAcyclic(a Agency) error {
	for p, steps := a.ParentID, 0; p != ""; p, steps = t.byID[p].ParentID, steps+1 {
		if p == a.ID || steps > len(t.byID) {
			return invalid("agency %s: its parents form a cycle", a.ID)
		}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

// Get returns the agency with the given id.
func (t *AgencyTree) Get(id string) (Agency, bool) {
	a, ok := t.byID[id]
	return a, ok
}

// All returns every agency, parents before children.
func (t *AgencyTree) All() []Agency {
	var out []Agency
	for _, a := range t.byID {
		if a.ParentID == "" {
			out = t.appendSubtree(out, a.ID)
		}
	}
	return out
}

func (t *AgencyTree) appendSubtree(out []Agency, id string) []Agency {
	out = append(out, t.byID[id])
	for _, c := range t.children[id] {
		out = t.appendSubtree(out, c)
	}
	return out
}

// Subtree returns the set of id and all agencies below it (empty for an
// unknown id).
func (t *AgencyTree) Subtree(id string) map[string]bool {
	set := map[string]bool{}
	if _, ok := t.byID[id]; !ok {
		return set
	}
	for _, a := range t.appendSubtree(nil, id) {
		set[a.ID] = true
	}
	return set
}

// With returns a new tree with a added, or an error if a does not fit.
func (t *AgencyTree) With(a Agency) (*AgencyTree, error) {
	if _, dup := t.byID[a.ID]; dup {
		return nil, fmt.Errorf("agency %s: %w", a.ID, ErrExists)
	}
	list := make([]Agency, 0, len(t.byID)+1)
	for _, x := range t.byID {
		list = append(list, x)
	}
	return NewAgencyTree(append(list, a))
}
