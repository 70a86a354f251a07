package ngsild

import (
	"time"
)

// NotUpdated names an attribute an operation left alone, and why.
type NotUpdated struct {
	Name   string // expanded attribute name
	Reason string
}

// UpdateResult reports which attributes an append or update changed.
// Names are expanded; the HTTP layer compacts them.
type UpdateResult struct {
	Updated    []string
	NotUpdated []NotUpdated
}

// add records the outcome for one attribute name.
func (r *UpdateResult) add(name string, updated bool, reason string) {
	if updated {
		r.Updated = append(r.Updated, name)
	}
	if reason != "" {
		r.NotUpdated = append(r.NotUpdated, NotUpdated{Name: name, Reason: reason})
	}
}

// AppendAttrs adds the attributes of frag to e (Append Entity Attributes,
// clause 5.6.3). An instance replaces the one with the same datasetId,
// unless noOverwrite is set, in which case it is reported as not updated.
// Types of frag are added to those of e.
func AppendAttrs(e, frag *Entity, noOverwrite bool, now time.Time) UpdateResult {
	var res UpdateResult
	typesAdded := addTypes(e, frag.Types)
	for _, name := range sortedKeys(frag.Attrs) {
		updated, reason := false, ""
		for _, a := range frag.Attrs[name] {
			i := findInstance(e.Attrs[name], a.DatasetID)
			a, err := resolveType(a, instanceAt(e.Attrs[name], i), name)
			if err != nil {
				reason = AsProblem(err).Detail
				continue
			}
			if err := checkComplete(a); err != "" {
				reason = err
				continue
			}
			if i >= 0 && noOverwrite {
				reason = "attribute exists and noOverwrite is set"
				continue
			}
			putInstance(e, name, a, i, now)
			updated = true
		}
		res.add(name, updated, reason)
	}
	touch(e, typesAdded || len(res.Updated) > 0, now)
	return res
}

// UpdateAttrs replaces the attributes of e that frag names (Update Entity
// Attributes, clause 5.6.2). Instances e lacks are reported as not updated;
// an instance whose value is NGSI-LD Null deletes the existing one.
func UpdateAttrs(e, frag *Entity, now time.Time) UpdateResult {
	var res UpdateResult
	for _, name := range sortedKeys(frag.Attrs) {
		updated, reason := false, ""
		for _, a := range frag.Attrs[name] {
			i := findInstance(e.Attrs[name], a.DatasetID)
			switch {
			case i < 0:
				reason = "attribute does not exist: " + describeDataset(a.DatasetID)
			case isNull(a):
				removeInstance(e, name, i)
				updated = true
			default:
				a, err := resolveType(a, e.Attrs[name][i], name)
				if err != nil {
					reason = AsProblem(err).Detail
					continue
				}
				if err := checkComplete(a); err != "" {
					reason = err
					continue
				}
				putInstance(e, name, a, i, now)
				updated = true
			}
		}
		res.add(name, updated, reason)
	}
	touch(e, len(res.Updated) > 0, now)
	return res
}

// PartialUpdateAttr merges the instances of the named attribute in frag
// into the instances of e with the same datasetId (PATCH
// /entities/{id}/attrs/{attrId}, clause 5.6.4): members given replace
// existing ones, others are kept; a sub-attribute (or instance) whose value
// is NGSI-LD Null is deleted. It fails with ResourceNotFound when an
// instance is absent, leaving e unchanged on any error.
func PartialUpdateAttr(e *Entity, name string, frag *Entity, now time.Time) error {
	return modifyAttr(e, name, frag, now, func(list []*Attribute, i int, a *Attribute) ([]*Attribute, error) {
		if isNull(a) {
			return append(list[:i:i], list[i+1:]...), nil
		}
		a, err := resolveType(a, list[i], name)
		if err != nil {
			return nil, err
		}
		return list, mergeInstance(list[i], a, name, false, now)
	})
}

// ReplaceAttr replaces the instances of the named attribute that frag
// gives, matched by datasetId (PUT /entities/{id}/attrs/{attrId}, clause
// 5.6.19), keeping their createdAt. It fails with ResourceNotFound when an
// instance is absent and BadRequestData when a replacement is incomplete,
// leaving e unchanged on any error.
func ReplaceAttr(e *Entity, name string, frag *Entity, now time.Time) error {
	return modifyAttr(e, name, frag, now, func(list []*Attribute, i int, a *Attribute) ([]*Attribute, error) {
		a, err := resolveType(a, list[i], name)
		if err != nil {
			return nil, err
		}
		if msg := checkComplete(a); msg != "" {
			return nil, badData("attribute %s: %s", name, msg)
		}
		n := cleanCopy(a)
		stamp(n, list[i], now)
		list[i] = n
		return list, nil
	})
}

// modifyAttr applies fn to a copy of the instances of the named attribute,
// once per instance of frag, and stores the result when all succeed.
func modifyAttr(e *Entity, name string, frag *Entity, now time.Time,
	fn func(list []*Attribute, i int, a *Attribute) ([]*Attribute, error)) error {
	var instances []*Attribute
	if frag != nil {
		instances = frag.Attrs[name]
	}
	if len(instances) == 0 {
		return badData("the request body has no attribute %s", name)
	}
	list := cloneList(e.Attrs[name])
	if len(list) == 0 {
		return Errorf(ErrResourceNotFound, "entity %s has no attribute %s", e.ID, name)
	}
	for _, a := range instances {
		i := findInstance(list, a.DatasetID)
		if i < 0 {
			return Errorf(ErrResourceNotFound, "attribute %s of entity %s has no %s", name, e.ID, describeDataset(a.DatasetID))
		}
		var err error
		if list, err = fn(list, i, a); err != nil {
			return err
		}
	}
	if len(list) == 0 {
		delete(e.Attrs, name)
	} else {
		e.Attrs[name] = list
	}
	e.ModifiedAt = now
	return nil
}

// MergeEntity applies a Merge Entity fragment to e (clause 5.6.17): new
// attributes are added, existing instances are merged member by member
// (JSON object values and languageMaps key by key, sub-attributes
// recursively), and NGSI-LD Null deletes an attribute, sub-attribute or
// object member. Types of frag are added. e is unchanged on error.
func MergeEntity(e, frag *Entity, now time.Time) error {
	c := e.Clone()
	addTypes(c, frag.Types)
	if c.Attrs == nil {
		c.Attrs = map[string][]*Attribute{}
	}
	for _, name := range sortedKeys(frag.Attrs) {
		for _, a := range frag.Attrs[name] {
			if err := mergeAttr(c, name, a, now); err != nil {
				return err
			}
		}
	}
	c.ModifiedAt = now
	*e = *c
	return nil
}

func mergeAttr(e *Entity, name string, a *Attribute, now time.Time) error {
	i := findInstance(e.Attrs[name], a.DatasetID)
	if !isNull(a) {
		var err error
		if a, err = resolveType(a, instanceAt(e.Attrs[name], i), name); err != nil {
			return err
		}
	}
	switch {
	case isNull(a):
		if i >= 0 {
			removeInstance(e, name, i)
		}
		return nil
	case i < 0:
		n, err := newInstance(a, name, now)
		if err != nil {
			return err
		}
		e.Attrs[name] = append(e.Attrs[name], n)
		return nil
	}
	return mergeInstance(e.Attrs[name][i], a, name, true, now)
}

// NewEntity returns a copy of e to store as a new entity: createdAt and
// modifiedAt of the entity and of all its attributes are now.
func NewEntity(e *Entity, now time.Time) *Entity {
	return NewEntityInPlace(e.Clone(), now)
}

// NewEntityInPlace is NewEntity without the copy: it stamps e itself and
// returns it. For callers that own e and do not use it afterwards.
func NewEntityInPlace(e *Entity, now time.Time) *Entity {
	n := e
	n.CreatedAt, n.ModifiedAt = now, now
	if n.Attrs == nil {
		n.Attrs = map[string][]*Attribute{}
	}
	for _, list := range n.Attrs {
		for _, a := range list {
			stamp(a, nil, now)
		}
	}
	return n
}

// ReplaceEntity returns the entity that replaces old with repl (clause
// 5.6.18): the attributes and types of repl, the createdAt of old and of
// the attribute instances that existed before.
func ReplaceEntity(old, repl *Entity, now time.Time) *Entity {
	return ReplaceEntityInPlace(old, repl.Clone(), now)
}

// ReplaceEntityInPlace is ReplaceEntity without the copy of repl, which it
// stamps and returns. For callers that own repl and do not use it
// afterwards.
func ReplaceEntityInPlace(old, repl *Entity, now time.Time) *Entity {
	r := repl
	r.CreatedAt, r.ModifiedAt = now, now
	if old != nil {
		r.CreatedAt = old.CreatedAt
	}
	for name, list := range r.Attrs {
		for _, a := range list {
			var prev *Attribute
			if old != nil {
				prev = instance(old.Attrs[name], a.DatasetID)
			}
			stamp(a, prev, now)
		}
	}
	return r
}

// DeleteAttr deletes the instance of the named attribute with datasetID
// ("" is the default instance), or all its instances when deleteAll is
// set. It fails with ResourceNotFound when there is nothing to delete.
func DeleteAttr(e *Entity, name, datasetID string, deleteAll bool, now time.Time) error {
	list := e.Attrs[name]
	if len(list) == 0 {
		return Errorf(ErrResourceNotFound, "entity %s has no attribute %s", e.ID, name)
	}
	if deleteAll {
		delete(e.Attrs, name)
	} else {
		i := findInstance(list, datasetID)
		if i < 0 {
			return Errorf(ErrResourceNotFound, "attribute %s of entity %s has no %s", name, e.ID, describeDataset(datasetID))
		}
		removeInstance(e, name, i)
	}
	e.ModifiedAt = now
	return nil
}

// mergeInstance merges the members src gives into dst. deep merges JSON
// object values, languageMaps and sub-attributes recursively; otherwise
// they are replaced whole.
func mergeInstance(dst, src *Attribute, name string, deep bool, now time.Time) error {
	if err := mergeMain(dst, src, name, deep); err != nil {
		return err
	}
	switch {
	case src.nullObservedAt:
		dst.ObservedAt = time.Time{}
	case !src.ObservedAt.IsZero():
		dst.ObservedAt = src.ObservedAt
	}
	switch src.UnitCode {
	case "":
	case NullURI:
		dst.UnitCode = ""
	default:
		dst.UnitCode = src.UnitCode
	}
	if err := mergeSubs(dst, src, name, deep, now); err != nil {
		return err
	}
	dst.ModifiedAt = now
	return nil
}

// mergeMain merges the type and value of src into dst.
func mergeMain(dst, src *Attribute, name string, deep bool) error {
	if src.Type != "" && src.Type != dst.Type {
		if msg := checkComplete(src); msg != "" {
			return badData("attribute %s: changing its type to %s: %s", name, src.Type, msg)
		}
		dst.Type, dst.Value, dst.Object, dst.Geometry, dst.LanguageMap = src.Type, nil, "", nil, nil
		if dst.Type != TypeRelationship {
			delete(dst.Sub, IRIObjectType)
		}
	}
	switch {
	case src.Value != nil && dst.Type == TypeProperty:
		dst.Value = mergeValue(dst.Value, src.Value, deep)
	case src.Object != "":
		dst.Object = src.Object
	case src.Geometry != nil:
		dst.Geometry = src.Geometry
	case src.LanguageMap != nil && deep:
		dst.LanguageMap = mergeLanguageMap(dst.LanguageMap, src.LanguageMap)
		if len(dst.LanguageMap) == 0 {
			return badData("attribute %s: the merge would leave its languageMap empty", name)
		}
	case src.LanguageMap != nil:
		dst.LanguageMap = cloneStrings(src.LanguageMap)
	}
	return nil
}

// mergeSubs merges the sub-attributes of src into dst.
func mergeSubs(dst, src *Attribute, name string, deep bool, now time.Time) error {
	for _, sub := range sortedKeys(src.Sub) {
		for _, s := range src.Sub[sub] {
			list := dst.Sub[sub]
			i := findInstance(list, s.DatasetID)
			switch {
			case isNull(s):
				if i >= 0 {
					dst.Sub[sub] = append(list[:i:i], list[i+1:]...)
					if len(dst.Sub[sub]) == 0 {
						delete(dst.Sub, sub)
					}
				}
			case i >= 0 && deep:
				if err := mergeInstance(list[i], s, name+"."+sub, true, now); err != nil {
					return err
				}
			default:
				n, err := newInstance(s, name+"."+sub, now)
				if err != nil {
					return err
				}
				if i >= 0 {
					n.CreatedAt = list[i].CreatedAt
					list[i] = n
					continue
				}
				if dst.Sub == nil {
					dst.Sub = map[string][]*Attribute{}
				}
				dst.Sub[sub] = append(list, n)
			}
		}
	}
	return nil
}

// newInstance returns a stamped copy of a, which must be complete, with
// null-marked sub-attributes dropped.
func newInstance(a *Attribute, name string, now time.Time) (*Attribute, error) {
	if msg := checkComplete(a); msg != "" {
		return nil, badData("attribute %s: %s", name, msg)
	}
	n := cleanCopy(a)
	stamp(n, nil, now)
	return n, nil
}

// cleanCopy returns a copy of a without the NGSI-LD Nulls a fragment may
// hold: null-marked sub-attributes and a null unitCode.
func cleanCopy(a *Attribute) *Attribute {
	n := a.Clone()
	for sub, list := range n.Sub {
		kept := list[:0]
		for _, s := range list {
			if !isNull(s) {
				kept = append(kept, s)
			}
		}
		if len(kept) == 0 {
			delete(n.Sub, sub)
		} else {
			n.Sub[sub] = kept
		}
	}
	if len(n.Sub) == 0 {
		n.Sub = nil
	}
	if n.UnitCode == NullURI {
		n.UnitCode = ""
	}
	n.nullObservedAt = false
	return n
}

// instanceAt returns list[i], or nil when i < 0.
func instanceAt(list []*Attribute, i int) *Attribute {
	if i < 0 {
		return nil
	}
	return list[i]
}

// resolveType gives the fragment instance a, and its sub-attributes, the
// type that a fragment leaves out: that of the existing instance prev (nil
// when there is none), so that an attribute keeps its type. A value for an
// existing GeoProperty is parsed as a GeoJSON geometry; with no existing
// instance a value makes a Property. a itself is not changed.
func resolveType(a, prev *Attribute, name string) (*Attribute, error) {
	if !untyped(a) {
		return a, nil
	}
	n := *a
	if n.Type == "" && n.Value != nil && !isNull(&n) {
		prevType := TypeProperty
		if prev != nil {
			prevType = prev.Type
		}
		switch prevType {
		case TypeProperty:
			n.Type = TypeProperty
		case TypeGeoProperty:
			n.Type = TypeGeoProperty
			if err := (&parser{}).setGeometry(&n, n.Value, name); err != nil {
				return nil, err
			}
			n.Value = nil
		default:
			return nil, badData("attribute %s is a %s: a value without a type cannot update it (give the type to change it)", name, prevType)
		}
	}
	if n.Type == "" && n.Sub[IRIObjectType] != nil && (prev == nil || prev.Type != TypeRelationship) {
		return nil, badData("attribute %s: objectType is only allowed on a Relationship", name)
	}
	if len(n.Sub) > 0 {
		n.Sub = make(map[string][]*Attribute, len(a.Sub))
		for sub, list := range a.Sub {
			out := make([]*Attribute, len(list))
			for i, s := range list {
				var p *Attribute
				if prev != nil {
					p = instance(prev.Sub[sub], s.DatasetID)
				}
				r, err := resolveType(s, p, name+"."+sub)
				if err != nil {
					return nil, err
				}
				out[i] = r
			}
			n.Sub[sub] = out
		}
	}
	return &n, nil
}

// untyped reports whether a or one of its sub-attributes has a value (or
// an objectType) but no type.
func untyped(a *Attribute) bool {
	if a.Type == "" && (a.Value != nil || a.Sub[IRIObjectType] != nil) {
		return true
	}
	for _, list := range a.Sub {
		for _, s := range list {
			if untyped(s) {
				return true
			}
		}
	}
	return false
}

// mergeValue merges JSON objects member by member (null and NGSI-LD Null
// delete a member); any other value replaces the old one.
func mergeValue(old, v any, deep bool) any {
	src, ok := v.(map[string]any)
	dst, ok2 := old.(map[string]any)
	if !deep || !ok || !ok2 {
		return cloneValue(v)
	}
	out := make(map[string]any, len(dst)+len(src))
	for k, x := range dst {
		out[k] = x
	}
	for k, x := range src {
		if x == nil || x == NullURI {
			delete(out, k)
			continue
		}
		out[k] = mergeValue(out[k], x, true)
	}
	return out
}

// mergeLanguageMap adds the languages of src to dst; NGSI-LD Null as a
// text deletes that language.
func mergeLanguageMap(dst, src map[string]string) map[string]string {
	out := cloneStrings(dst)
	if out == nil {
		out = map[string]string{}
	}
	for k, v := range src {
		if v == NullURI {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// isNull reports whether a is an NGSI-LD Null, which deletes.
func isNull(a *Attribute) bool {
	if s, ok := a.Value.(string); ok && s == NullURI {
		return true
	}
	if a.Object == NullURI {
		return true
	}
	return len(a.LanguageMap) == 1 && a.LanguageMap["@none"] == NullURI
}

// checkComplete returns why a is not a complete attribute, or "".
func checkComplete(a *Attribute) string {
	switch a.Type {
	case TypeProperty:
		if a.Value == nil || isNull(a) {
			return "a Property must have a value"
		}
	case TypeRelationship:
		if a.Object == "" || a.Object == NullURI {
			return "a Relationship must have an object"
		}
	case TypeGeoProperty:
		if a.Geometry == nil {
			return "a GeoProperty must have a GeoJSON geometry value"
		}
	case TypeLanguageProperty:
		if len(a.LanguageMap) == 0 || isNull(a) {
			return "a LanguageProperty must have a languageMap"
		}
	default:
		return "the attribute has no value"
	}
	for _, list := range a.Sub {
		for _, s := range list {
			if isNull(s) {
				continue
			}
			if msg := checkComplete(s); msg != "" {
				return msg
			}
		}
	}
	return ""
}

// putInstance stores a copy of a at index i of the named attribute (i < 0
// appends), keeping the createdAt of the instance it replaces.
func putInstance(e *Entity, name string, a *Attribute, i int, now time.Time) {
	n := cleanCopy(a)
	if e.Attrs == nil {
		e.Attrs = map[string][]*Attribute{}
	}
	if i < 0 {
		stamp(n, nil, now)
		e.Attrs[name] = append(e.Attrs[name], n)
		return
	}
	stamp(n, e.Attrs[name][i], now)
	e.Attrs[name][i] = n
}

// removeInstance deletes instance i of the named attribute, and the
// attribute when it was the last one.
func removeInstance(e *Entity, name string, i int) {
	list := e.Attrs[name]
	list = append(list[:i:i], list[i+1:]...)
	if len(list) == 0 {
		delete(e.Attrs, name)
		return
	}
	e.Attrs[name] = list
}

// stamp sets the system timestamps of a and its sub-attributes: modifiedAt
// now, createdAt from the matching instance of prev, else now.
func stamp(a, prev *Attribute, now time.Time) {
	a.ModifiedAt, a.CreatedAt = now, now
	if prev != nil {
		a.CreatedAt = prev.CreatedAt
	}
	for name, list := range a.Sub {
		for _, s := range list {
			var p *Attribute
			if prev != nil {
				p = instance(prev.Sub[name], s.DatasetID)
			}
			stamp(s, p, now)
		}
	}
}

// addTypes adds the types e lacks and reports whether it added any.
func addTypes(e *Entity, types []string) bool {
	added := false
	for _, t := range types {
		if !e.HasType(t) {
			e.Types = append(e.Types, t)
			added = true
		}
	}
	return added
}

func touch(e *Entity, changed bool, now time.Time) {
	if changed {
		e.ModifiedAt = now
	}
}

func findInstance(list []*Attribute, datasetID string) int {
	for i, a := range list {
		if a.DatasetID == datasetID {
			return i
		}
	}
	return -1
}

func instance(list []*Attribute, datasetID string) *Attribute {
	if i := findInstance(list, datasetID); i >= 0 {
		return list[i]
	}
	return nil
}

func cloneList(list []*Attribute) []*Attribute {
	out := make([]*Attribute, len(list))
	for i, a := range list {
		out[i] = a.Clone()
	}
	return out
}

func cloneStrings(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
