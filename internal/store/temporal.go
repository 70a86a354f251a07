package store

import (
	"context"
	"regexp"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/ngsild/qlang"
)

// TemporalStore keeps the history of attribute instances (the NGSI-LD
// temporal representation). A store records history itself: every Write
// that changes an attribute instance (its value, object, languageMap,
// geometry, observedAt or unitCode, or adds it) appends a temporal
// instance in the same transaction, stamped with the instance's observedAt
// or, without one, its modifiedAt (else the entity's). Deleting an entity
// keeps its history until DeleteTemporalEntity.
type TemporalStore interface {
	// TemporalQuery returns the temporal entities that match q, ordered by
	// id, each attribute's instances in ascending time order.
	TemporalQuery(ctx context.Context, tenant string, q *TemporalQuery) ([]*TemporalEntity, error)
	// TemporalAggregate aggregates the numeric history of the entities
	// that match q by period.
	TemporalAggregate(ctx context.Context, tenant string, q *TemporalQuery, a *Aggregation) ([]*AggregatedEntity, error)
	// AddTemporal appends instances to a temporal entity, creating it (with
	// e.Types) when it does not exist, and reports whether it did. Without
	// e.Types, a temporal entity that does not exist is ResourceNotFound.
	// The current entity (Reader) is not changed.
	AddTemporal(ctx context.Context, tenant string, e *TemporalEntity) (created bool, err error)
	// ModifyInstance replaces the instance instanceID of attribute attr.
	// ResourceNotFound when there is no such instance.
	ModifyInstance(ctx context.Context, tenant, entityID, attr, instanceID string, a *ngsild.Attribute) error
	// DeleteInstance deletes one instance (ResourceNotFound when absent).
	DeleteInstance(ctx context.Context, tenant, entityID, attr, instanceID string) error
	// DeleteTemporalAttr deletes the history of attribute attr: of the
	// instances with datasetID, or of every dataset when all is set.
	// ResourceNotFound when nothing was deleted.
	DeleteTemporalAttr(ctx context.Context, tenant, entityID, attr, datasetID string, all bool) error
	// DeleteTemporalEntity deletes the whole history of an entity
	// (ResourceNotFound when there is none).
	DeleteTemporalEntity(ctx context.Context, tenant, entityID string) error
}

// TimeProperty is the timestamp that temporal queries select on.
type TimeProperty string

// Time properties of temporal queries.
const (
	// ObservedAt is the instance's observedAt, or its modifiedAt when it has none.
	ObservedAt TimeProperty = "observedAt"
	// ModifiedAt is when the instance was recorded.
	ModifiedAt TimeProperty = "modifiedAt"
	// CreatedAt is, for a temporal instance, the same as ModifiedAt.
	CreatedAt TimeProperty = "createdAt"
)

// TimeRel relates instance times to TemporalQuery.TimeAt and EndTimeAt.
type TimeRel string

// Temporal relations. TimeRelNone selects every instance.
const (
	TimeRelNone    TimeRel = ""
	TimeRelBefore  TimeRel = "before"  // t < TimeAt
	TimeRelAfter   TimeRel = "after"   // t >= TimeAt
	TimeRelBetween TimeRel = "between" // TimeAt <= t < EndTimeAt
)

// TemporalQuery selects temporal entities and their instances. Nil or
// empty fields do not restrict. Names are expanded IRIs.
type TemporalQuery struct {
	IDs       []string
	IDPattern *regexp.Regexp
	// Types matches the entity's last known types.
	Types qlang.TypeExpr
	// Attrs restricts the attributes returned (and keeps only the entities
	// with instances of at least one of them).
	Attrs        []string
	TimeRel      TimeRel
	TimeAt       time.Time
	EndTimeAt    time.Time
	TimeProperty TimeProperty // default ObservedAt
	// LastN keeps the last N instances of each attribute instance
	// (datasetId) in the time range; 0 keeps all.
	LastN int
	// Limit and Offset page the entities (ordered by id); Limit 0 means no limit.
	Limit  int
	Offset int
}

// TemporalEntity is an entity's history.
type TemporalEntity struct {
	ID    string
	Types []string
	// Attrs maps an attribute name to its instances in ascending time
	// order (all datasetIds together).
	Attrs map[string][]TemporalInstance
}

// TemporalInstance is one recorded attribute instance.
type TemporalInstance struct {
	// InstanceID is a URI assigned by the store (ignored by AddTemporal).
	InstanceID string
	// Attr is the instance. Its ObservedAt is set when it had one; its
	// ModifiedAt is when it was recorded.
	Attr *ngsild.Attribute
}

// Time returns the instance's time for p.
func (ti TemporalInstance) Time(p TimeProperty) time.Time {
	if p == ObservedAt || p == "" {
		if !ti.Attr.ObservedAt.IsZero() {
			return ti.Attr.ObservedAt
		}
	}
	return ti.Attr.ModifiedAt
}

// Aggregation methods (NGSI-LD aggrMethods).
const (
	AggrTotalCount    = "totalCount"
	AggrDistinctCount = "distinctCount"
	AggrSum           = "sum"
	AggrAvg           = "avg"
	AggrMin           = "min"
	AggrMax           = "max"
	AggrStddev        = "stddev"
	AggrSumsq         = "sumsq"
)

// AggrMethods lists every aggregation method.
var AggrMethods = []string{AggrTotalCount, AggrDistinctCount, AggrSum, AggrAvg, AggrMin, AggrMax, AggrStddev, AggrSumsq}

// Period is a calendar period: Months plus a fixed duration (an ISO 8601
// duration such as P1M, P1D or PT1H).
type Period struct {
	Months int
	D      time.Duration
}

// IsZero reports whether the period is empty (aggregate over the whole range).
func (p Period) IsZero() bool { return p.Months == 0 && p.D == 0 }

// Next returns the start of the period after the one starting at t.
func (p Period) Next(t time.Time) time.Time { return t.AddDate(0, p.Months, 0).Add(p.D) }

// Aggregation asks for aggregates of each attribute instance per period.
type Aggregation struct {
	Methods []string
	// Period is the length of the buckets; zero aggregates the whole range.
	Period Period
}

// AggregatedEntity is an entity's aggregated history.
type AggregatedEntity struct {
	ID    string
	Types []string
	// Attrs maps an attribute name to one series per datasetId.
	Attrs map[string][]*AggregatedAttr
}

// AggregatedAttr holds the aggregates of one attribute instance (datasetId).
type AggregatedAttr struct {
	Type      string
	DatasetID string
	// Values maps a method to one bucket per non-empty period, in time order.
	Values map[string][]AggregatedValue
}

// AggregatedValue is the aggregate of one period [Start, End). Value is
// an int for counts, a float64 for the others, nil when the period had no
// numeric value.
type AggregatedValue struct {
	Value      any
	Start, End time.Time
}
