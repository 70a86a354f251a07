// Package store defines how the platform keeps NGSI-LD entities and JSON-LD
// contexts. Implementations live in sub-packages (sqlite, postgres) and must
// pass the conformance suite in storetest.
package store

import (
	"context"
	"regexp"
	"time"

	"github.com/dothi-city/dothi/internal/geo"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/ngsild/qlang"
)

// DefaultTenant is the tenant of requests without an NGSILD-Tenant header.
const DefaultTenant = ""

// Store keeps entities and contexts. All methods are safe for concurrent use.
type Store interface {
	Writer
	Reader
	ContextStore
	ChangeLog
	TemporalStore
	SubscriptionStore
	// Close flushes pending writes and releases resources.
	Close() error
}

// Mutation changes one entity atomically. Apply receives a copy of the
// stored entity (nil when there is none) and returns the entity to store,
// or nil to delete it. An error from Apply leaves the entity unchanged.
// Apply runs inside the store's write transaction: it must be quick and
// must not call the store.
type Mutation struct {
	ID    string
	Apply func(old *ngsild.Entity) (*ngsild.Entity, error)
}

// Writer applies mutations.
type Writer interface {
	// Write applies each mutation atomically and independently, in order,
	// and returns once all of them are durable. errs[i] is the outcome of
	// muts[i]; a failed mutation does not prevent the others. The returned
	// error reports a failure of the store itself (all mutations failed).
	// Writing to a tenant that does not exist yet creates it.
	Write(ctx context.Context, tenant string, muts []Mutation) (errs []error, err error)
}

// Reader reads entities.
type Reader interface {
	// Entity returns the entity with the given id or a ResourceNotFound
	// Problem (NonexistentTenant if the tenant does not exist).
	Entity(ctx context.Context, tenant, id string) (*ngsild.Entity, error)
	// Query returns the entities that match q, in a stable order.
	Query(ctx context.Context, tenant string, q *Query) (*Result, error)
	// Summary describes the types and attributes present in a tenant.
	Summary(ctx context.Context, tenant string) (*Summary, error)
	// Tenants lists the tenants that exist.
	Tenants(ctx context.Context) ([]string, error)
}

// Query selects entities. Nil or empty fields do not restrict. Names are
// expanded IRIs.
type Query struct {
	IDs       []string
	IDPattern *regexp.Regexp
	Types     qlang.TypeExpr
	// Attrs keeps entities that have at least one of these attributes.
	Attrs []string
	Q     qlang.Expr
	Geo   *geo.Query
	// Limit caps the entities returned; 0 returns none (with Count, a count only).
	Limit  int
	Offset int
	// Count asks for the total number of matches in Result.Count.
	Count bool
}

// Result is the answer to a Query.
type Result struct {
	Entities []*ngsild.Entity
	// Count is the total number of matches when the query asked for it, else -1.
	Count int
}

// Summary lists the types and attributes of a tenant's entities.
type Summary struct {
	// Types maps an expanded entity type to its number of entities.
	Types map[string]int
	// Attrs has one row per entity type, attribute and attribute type.
	Attrs []AttrStat
}

// AttrStat counts the entities of a type that have an attribute of a kind.
type AttrStat struct {
	EntityType string
	Name       string
	AttrType   string
	Count      int
}

// ContextStore keeps JSON-LD contexts that clients uploaded (hosted) or that
// the broker fetched and cached.
type ContextStore interface {
	PutContext(ctx context.Context, c *StoredContext) error
	// GetContext returns a ResourceNotFound Problem when there is no such context.
	GetContext(ctx context.Context, id string) (*StoredContext, error)
	ListContexts(ctx context.Context) ([]*StoredContext, error)
	DeleteContext(ctx context.Context, id string) error
}

// Kinds of stored contexts.
const (
	ContextHosted = "Hosted"
	ContextCached = "Cached"
)

// StoredContext is a JSON-LD context document kept by the broker.
type StoredContext struct {
	ID        string
	URL       string
	Kind      string
	Body      []byte
	CreatedAt time.Time
}
