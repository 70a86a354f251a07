// Package qlang parses and evaluates the NGSI-LD query language (the q
// parameter, ETSI GS CIM 009 clause 4.9) and the entity type selection
// language (clause 4.17).
package qlang

import "github.com/dothi-city/dothi/internal/ngsild"

// Expr is a parsed q expression.
type Expr interface {
	// Match reports whether the entity satisfies the expression.
	Match(e *ngsild.Entity) bool
}

// TypeExpr is a parsed entity type selection.
type TypeExpr interface {
	// Match reports whether an entity with these expanded types is selected.
	Match(types []string) bool
}
