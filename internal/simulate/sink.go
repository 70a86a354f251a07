package simulate

import (
	"context"
	"errors"
	"fmt"

	"github.com/dothi-city/dothi/internal/ngsild"
)

// Upserter is the part of the context broker a BrokerSink needs
// (*broker.Broker implements it).
type Upserter interface {
	BatchUpsert(ctx context.Context, tenant string, entities []*ngsild.Entity, replace bool) ([]bool, []error, error)
}

// BrokerSink writes measurements into the context broker as entity
// fragments, in update mode (replace=false): attributes a measurement does
// not carry are kept.
type BrokerSink struct {
	Broker Upserter
	Tenant string // "" is the default tenant
}

// NewBrokerSink returns a sink writing to the default tenant of u.
func NewBrokerSink(u Upserter) *BrokerSink {
	return &BrokerSink{Broker: u}
}

// Send upserts one fragment per entity (measurements of the same entity
// are merged, later ones winning). A failure of the broker is returned as
// is; failures of single entities are joined, each naming its entity.
func (s *BrokerSink) Send(ctx context.Context, ms []Measurement) error {
	ents, err := fragments(ms)
	if err != nil {
		return err
	}
	_, errs, err := s.Broker.BatchUpsert(ctx, s.Tenant, ents, false)
	if err != nil {
		return err
	}
	var failed []error
	for i, e := range errs {
		if e != nil {
			failed = append(failed, fmt.Errorf("%s: %w", ents[i].ID, e))
		}
	}
	return errors.Join(failed...)
}

// fragments turns measurements into one fragment per entity, in order of
// first appearance.
func fragments(ms []Measurement) ([]*ngsild.Entity, error) {
	byID := make(map[string]*ngsild.Entity, len(ms))
	out := make([]*ngsild.Entity, 0, len(ms))
	for _, m := range ms {
		e := byID[m.EntityID]
		if e == nil {
			e = newEntity(m.EntityID, m.EntityType)
			byID[m.EntityID] = e
			out = append(out, e)
		}
		if err := addMeasurement(e, m); err != nil {
			return nil, fmt.Errorf("%s: %w", m.EntityID, err)
		}
	}
	return out, nil
}
