package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
)

// TemporalAggregate aggregates history per period; see store.TemporalStore.
// Periods start at q.TimeAt when set, else at the first instance of each
// attribute instance; only periods with instances are returned. stddev is
// the population standard deviation. Non-numeric instances count in
// totalCount and distinctCount only.
func (s *Store) TemporalAggregate(ctx context.Context, tenant string, q *store.TemporalQuery, ag *store.Aggregation) ([]*store.AggregatedEntity, error) {
	for _, m := range ag.Methods {
		if !slices.Contains(store.AggrMethods, m) {
			return nil, ngsild.Errorf(ngsild.ErrBadRequestData, "unknown aggregation method %q", m)
		}
	}
	if len(ag.Methods) == 0 {
		return nil, ngsild.Errorf(ngsild.ErrBadRequestData, "no aggregation method")
	}
	if ag.Period.Months < 0 || ag.Period.D < 0 {
		return nil, ngsild.Errorf(ngsild.ErrBadRequestData, "negative aggregation period")
	}
	qq := *q
	qq.LastN = 0
	out := []*store.AggregatedEntity{}
	err := s.temporalScan(ctx, tenant, &qq, func(tx *sql.Tx, te *tentity, each func(func(*trow) error) error) (bool, error) {
		e := &store.AggregatedEntity{ID: te.id, Types: te.types, Attrs: map[string][]*store.AggregatedAttr{}}
		type key struct {
			nid int64
			ds  string
		}
		var order []key
		series := map[key]*aggSeries{}
		err := each(func(r *trow) error {
			k := key{r.nid, r.ds}
			sr := series[k]
			if sr == nil {
				typ := ngsild.TypeProperty
				if r.doc != nil {
					a, err := store.DecodeAttribute(r.doc)
					if err != nil {
						return err
					}
					typ = a.Type
				}
				sr = &aggSeries{attr: &store.AggregatedAttr{Type: typ, DatasetID: r.ds, Values: map[string][]store.AggregatedValue{}}}
				series[k] = sr
				order = append(order, k)
			}
			p := point{t: r.at(qq.TimeProperty)}
			if r.num != nil {
				f, err := strconv.ParseFloat(string(r.num), 64)
				if err != nil {
					return err
				}
				p.num, p.hasNum, p.isNum = f, true, r.doc == nil
			}
			if !p.isNum {
				p.key = string(r.doc)
			}
			sr.points = append(sr.points, p)
			return nil
		})
		if err != nil {
			return false, err
		}
		for _, k := range order {
			sr := series[k]
			name, err := s.nameOf(ctx, tx, k.nid)
			if err != nil {
				return false, err
			}
			if !byObserved(&qq) {
				slices.SortStableFunc(sr.points, func(a, b point) int { return cmp.Compare(a.t, b.t) })
			}
			sr.aggregate(&qq, ag)
			e.Attrs[name] = append(e.Attrs[name], sr.attr)
		}
		if len(e.Attrs) == 0 {
			return false, nil
		}
		out = append(out, e)
		return true, nil
	})
	return out, err
}

// point is one instance to aggregate: its time, its numeric value
// (hasNum), and for distinctCount the number (isNum) or its document (key).
type point struct {
	t             int64
	num           float64
	isNum, hasNum bool
	key           string
}

// aggSeries is one attribute instance (datasetId) being aggregated.
type aggSeries struct {
	attr   *store.AggregatedAttr
	points []point
}

// aggregate fills s.attr from s.points, which are in time order.
func (s *aggSeries) aggregate(q *store.TemporalQuery, ag *store.Aggregation) {
	var b bucket
	for i, p := range s.points {
		if i == 0 {
			anchor := time.Unix(0, p.t).UTC()
			if !q.TimeAt.IsZero() && q.TimeRel != store.TimeRelBefore {
				anchor = q.TimeAt
			}
			b.start = periodStart(anchor, ag.Period, p.t)
			b.end = periodEnd(b.start, ag.Period)
		} else if !ag.Period.IsZero() && p.t >= b.end.UnixNano() {
			b.emit(s.attr, ag.Methods, b.end)
			b.reset()
			b.start = periodStart(b.end, ag.Period, p.t)
			b.end = periodEnd(b.start, ag.Period)
		}
		b.add(p)
	}
	if b.n > 0 {
		end := b.end
		if ag.Period.IsZero() {
			end = b.last
		}
		b.emit(s.attr, ag.Methods, end)
	}
}

// periodStart returns the start of the period of p, counted from anchor,
// that holds t (Unix ns).
func periodStart(anchor time.Time, p store.Period, t int64) time.Time {
	if p.IsZero() {
		return anchor
	}
	if p.Months == 0 {
		d := t - anchor.UnixNano()
		n := d / int64(p.D)
		if d < 0 && d%int64(p.D) != 0 {
			n--
		}
		return anchor.Add(time.Duration(n * int64(p.D)))
	}
	start := anchor
	for start.UnixNano() > t {
		start = start.AddDate(0, -p.Months, 0).Add(-p.D)
	}
	for next := p.Next(start); next.UnixNano() <= t; next = p.Next(start) {
		start = next
	}
	return start
}

func periodEnd(start time.Time, p store.Period) time.Time {
	if p.IsZero() {
		return time.Unix(0, math.MaxInt64).UTC()
	}
	return p.Next(start)
}

// bucket accumulates one period of one attribute instance.
type bucket struct {
	start, end time.Time
	last       time.Time
	n, nums    int
	sum, sumsq float64
	min, max   float64
	distinct   map[any]struct{}
}

func (b *bucket) reset() {
	b.n, b.nums, b.sum, b.sumsq = 0, 0, 0, 0
	b.distinct = nil
}

func (b *bucket) add(p point) {
	b.n++
	b.last = time.Unix(0, p.t).UTC()
	if b.distinct == nil {
		b.distinct = map[any]struct{}{}
	}
	if p.isNum {
		b.distinct[p.num] = struct{}{}
	} else {
		b.distinct[p.key] = struct{}{}
	}
	if !p.hasNum {
		return
	}
	v := p.num
	if b.nums == 0 || v < b.min {
		b.min = v
	}
	if b.nums == 0 || v > b.max {
		b.max = v
	}
	b.nums++
	b.sum += v
	b.sumsq += v * v
}

// emit appends the bucket's aggregates to a.
func (b *bucket) emit(a *store.AggregatedAttr, methods []string, end time.Time) {
	for _, m := range methods {
		var v any
		switch m {
		case store.AggrTotalCount:
			v = b.n
		case store.AggrDistinctCount:
			v = len(b.distinct)
		}
		if b.nums > 0 {
			mean := b.sum / float64(b.nums)
			switch m {
			case store.AggrSum:
				v = b.sum
			case store.AggrAvg:
				v = mean
			case store.AggrMin:
				v = b.min
			case store.AggrMax:
				v = b.max
			case store.AggrSumsq:
				v = b.sumsq
			case store.AggrStddev:
				v = math.Sqrt(max(0, b.sumsq/float64(b.nums)-mean*mean))
			}
		}
		a.Values[m] = append(a.Values[m], store.AggregatedValue{Value: v, Start: b.start, End: end})
	}
}
