package sqlite

import (
	"strconv"
	"strings"

	"github.com/dothi-city/dothi/internal/ngsild/qlang"
)

// sqlCond builds one SQL condition on "entities e" with its parameters.
type sqlCond struct {
	sql  strings.Builder
	args []any
	// drives is set when the condition holds only for entities listed by
	// an index lookup (so SQLite can start from that list).
	drives bool
}

func (c *sqlCond) write(s string, args ...any) {
	c.sql.WriteString(s)
	c.args = append(c.args, args...)
}

// join writes the conditions that each part writes, separated by op, in
// parentheses; it stops at the first part that fails.
func (c *sqlCond) join(op string, n int, part func(i int) bool) bool {
	c.sql.WriteByte('(')
	for i := 0; i < n; i++ {
		if i > 0 {
			c.sql.WriteString(op)
		}
		if !part(i) {
			return false
		}
	}
	c.sql.WriteByte(')')
	return true
}

// types writes the exact translation of a type selection made of qlang's
// TypeName, TypeOr and TypeAnd nodes; false for any other TypeExpr. With
// probe, each name is checked per entity (an index seek) instead of
// selecting the list of its entities, which is cheaper when another
// condition already selects few candidates.
func (c *sqlCond) types(tenant string, te qlang.TypeExpr, probe bool) bool {
	if names, ok := qlang.TypeNames(te); ok && len(names) > 1 {
		c.write(typeSQL(probe, "type IN (SELECT value FROM json_each(?))"), tenant, jsonList(names))
		return true
	}
	switch x := te.(type) {
	case *qlang.TypeName:
		c.write(typeSQL(probe, "type = ?"), tenant, x.Name)
		return true
	case *qlang.TypeAnd:
		return c.join(" AND ", len(x.Terms), func(i int) bool { return c.types(tenant, x.Terms[i], probe) })
	case *qlang.TypeOr:
		return c.join(" OR ", len(x.Terms), func(i int) bool { return c.types(tenant, x.Terms[i], probe) })
	}
	return false
}

// typeSQL returns the condition selecting entities whose type satisfies cond.
func typeSQL(probe bool, cond string) string {
	if probe {
		return "EXISTS (SELECT 1 FROM entity_types WHERE tenant = ? AND " + cond + " AND pk = e.pk)"
	}
	return "e.pk IN (SELECT pk FROM entity_types WHERE tenant = ? AND " + cond + ")"
}

// expr writes a translation of a q expression. ok is false when nothing
// could be translated; exact is false when the condition selects a
// superset of the matches (an And some of whose terms stayed in Go).
func (c *sqlCond) expr(e qlang.Expr) (exact, ok bool) {
	switch x := e.(type) {
	case *qlang.And:
		return c.and(x.Terms)
	case *qlang.Or:
		exact, drives := true, true
		ok = c.join(" OR ", len(x.Terms), func(i int) bool {
			var sub sqlCond
			ex, ok := sub.expr(x.Terms[i])
			c.write(sub.sql.String(), sub.args...)
			exact, drives = exact && ex, drives && sub.drives
			return ok
		})
		c.drives = drives
		return exact, ok
	case *qlang.Exists:
		c.drives = !x.Not
		return true, c.exists(x)
	case *qlang.Compare:
		c.drives = true
		return true, c.compare(x)
	}
	return false, false
}

// and translates the terms that can be, in a throw-away builder each so
// that an untranslatable term leaves no partial text.
func (c *sqlCond) and(terms []qlang.Expr) (exact, ok bool) {
	var parts []*sqlCond
	exact = true
	for _, t := range terms {
		var sub sqlCond
		ex, ok := sub.expr(t)
		exact = exact && ex && ok
		if ok {
			parts = append(parts, &sub)
			c.drives = c.drives || sub.drives
		}
	}
	if len(parts) == 0 {
		return false, false
	}
	c.join(" AND ", len(parts), func(i int) bool {
		c.write(parts[i].sql.String(), parts[i].args...)
		return true
	})
	return exact, true
}

// plainAttr reports whether s selects the values of a top-level attribute,
// which is what attr_index indexes.
func plainAttr(s *qlang.Selector) bool {
	return len(s.Path) == 0 && len(s.Keys) == 0 && !s.EntityTime()
}

// exists translates [!]attr: some instance of the attribute is present.
func (c *sqlCond) exists(x *qlang.Exists) bool {
	if !plainAttr(&x.Selector) {
		return false
	}
	if x.Not {
		c.write("e.pk NOT IN (SELECT pk FROM attr_index WHERE nid = "+nameIDSQL+")", x.Attr)
	} else {
		c.write("e.pk IN (SELECT pk FROM attr_index WHERE nid = "+nameIDSQL+")", x.Attr)
	}
	return true
}

// compare translates a comparison whose literals have an exact SQL form.
// Positive operators hold when some indexed value hits; != and !~= hold
// when the attribute exists and no indexed value equals (matches).
func (c *sqlCond) compare(x *qlang.Compare) bool {
	if !plainAttr(&x.Selector) {
		return false
	}
	var hit sqlCond
	if !hit.valueHit(x) {
		return false
	}
	if x.Op == qlang.OpNe || x.Op == qlang.OpNotMatch {
		c.write("(e.pk IN (SELECT pk FROM attr_index WHERE nid = "+nameIDSQL+
			") AND e.pk NOT IN (SELECT pk FROM attr_index WHERE nid = "+nameIDSQL+" AND ", x.Attr, x.Attr)
	} else {
		c.write("e.pk IN (SELECT pk FROM attr_index WHERE nid = "+nameIDSQL+" AND ", x.Attr)
	}
	c.write(hit.sql.String(), hit.args...)
	if x.Op == qlang.OpNe || x.Op == qlang.OpNotMatch {
		c.write(")")
	}
	c.write(")")
	return true
}

// nameIDSQL is the id of the attribute name parameter (NULL, which
// matches no row, for a name never written).
const nameIDSQL = "(SELECT id FROM names WHERE name = ?)"

// valueHit writes the condition on one attr_index row that mirrors
// qlang's hit for the positive form of x's operator.
func (c *sqlCond) valueHit(x *qlang.Compare) bool {
	switch {
	case x.Pattern != nil:
		c.write("kind = "+strconv.Itoa(kindStr)+" AND dothi_regexp(?, v)", x.Pattern.String())
		return true
	case x.Range != nil:
		return c.rangeHit(x.Range)
	}
	op := map[qlang.Op]string{qlang.OpEq: " = ", qlang.OpNe: " = ", qlang.OpGt: " > ",
		qlang.OpGe: " >= ", qlang.OpLt: " < ", qlang.OpLe: " <= "}[x.Op]
	if op == "" || len(x.Values) == 0 {
		return false
	}
	return c.join(" OR ", len(x.Values), func(i int) bool { return c.literal(op, x.Values[i]) })
}

// literal writes "kind = k AND v op ?" for a literal with an exact SQL
// comparison.
func (c *sqlCond) literal(op string, v qlang.Value) bool {
	kind, arg, ok := column(v)
	if ok {
		c.write("(kind = "+strconv.Itoa(kind)+" AND v"+op+"?)", arg)
	}
	return ok
}

// column returns the attr_index kind a literal compares with and its
// parameter. Date and time literals (which also compare with strings that
// parse as times) have no exact form.
func column(v qlang.Value) (kind int, arg any, ok bool) {
	switch v.Kind {
	case qlang.KindNumber:
		return kindNum, v.Num, true
	case qlang.KindBool:
		if v.Bool {
			return kindBool, int64(1), true
		}
		return kindBool, int64(0), true
	case qlang.KindString, qlang.KindURI:
		return kindStr, v.Str, true
	}
	return 0, nil, false
}

// rangeHit writes lo <= value <= hi when both bounds compare with the same kind.
func (c *sqlCond) rangeHit(r *qlang.Range) bool {
	loKind, lo, ok1 := column(r.Lo)
	hiKind, hi, ok2 := column(r.Hi)
	if !ok1 || !ok2 || loKind != hiKind {
		return false
	}
	c.write("kind = "+strconv.Itoa(loKind)+" AND v >= ? AND v <= ?", lo, hi)
	return true
}
