// Package qlang parses and evaluates the NGSI-LD query language (the q
// parameter, ETSI GS CIM 009 clause 4.9) and the entity type selection
// language (clause 4.17).
//
// Parse turns a q string into an Expr tree made of *Or, *And, *Compare and
// *Exists nodes; ParseTypes turns a type selection into *TypeOr, *TypeAnd
// and *TypeName nodes. The trees are exported so that a storage engine can
// translate them (for instance to SQL); every node can also evaluate itself
// in memory (Match) and print itself as canonical query text (String).
//
// Grammar accepted by Parse (no whitespace outside quoted strings):
//
//	query     = or
//	or        = and *("|" and)
//	and       = primary *(";" primary)
//	primary   = "(" or ")" / term
//	term      = ["!"] selector                      ; existence / non-existence
//	term     =/ selector op value                  ; op: == != > >= < <=
//	term     =/ selector ("==" / "!=") list-or-range
//	term     =/ selector ("~=" / "!~=") pattern     ; Go RE2 syntax
//	selector  = name *("." name) *("[" name *("." name) "]")
//	value     = number / quoted-string / true / false
//	          / date-time / date / time / URI
//
// Names after the first dot are sub-attributes, except the metadata names
// observedAt, unitCode, createdAt, modifiedAt and datasetId, which must come
// last. Bracketed names are keys into a JSON object value.
package qlang

import (
	"github.com/dothi-city/dothi/internal/ngsild"
)

// Expr is a parsed q expression.
type Expr interface {
	// Match reports whether the entity satisfies the expression.
	Match(e *ngsild.Entity) bool
	// String returns the expression as canonical q text.
	String() string
}

// TypeExpr is a parsed entity type selection.
type TypeExpr interface {
	// Match reports whether an entity with these expanded types is selected.
	Match(types []string) bool
	// String returns the selection as canonical text.
	String() string
}

// Limits on the complexity of a query or type selection. Exceeding one is a
// TooComplexQuery error.
const (
	// MaxLength is the maximum length of the query text in bytes.
	MaxLength = 8192
	// MaxDepth is the maximum nesting of parentheses.
	MaxDepth = 32
	// MaxTerms is the maximum number of query terms (or type names).
	MaxTerms = 256
)
