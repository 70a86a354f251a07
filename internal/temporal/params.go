// Package temporal parses the parameters of NGSI-LD temporal queries
// (ETSI GS CIM 009 clause 4.11 and 6.18–6.22): timerel, timeAt, endTimeAt,
// timeproperty, lastN, aggrMethods and aggrPeriodDuration.
package temporal

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
)

// Params are the temporal parameters of a request.
type Params struct {
	TimeRel      store.TimeRel
	TimeAt       time.Time
	EndTimeAt    time.Time
	TimeProperty store.TimeProperty
	LastN        int
}

func bad(format string, args ...any) *ngsild.Problem {
	return ngsild.Errorf(ngsild.ErrBadRequestData, format, args...)
}

// Parse reads timerel, timeAt, endTimeAt, timeproperty and lastN from
// query parameters. Bad values give BadRequestData Problems.
func Parse(v url.Values) (Params, error) {
	var p Params
	var err error
	if s := v.Get("timeAt"); s != "" {
		if p.TimeAt, err = ParseDateTime(s); err != nil {
			return p, bad("timeAt: %v", err)
		}
	}
	if s := v.Get("endTimeAt"); s != "" {
		if p.EndTimeAt, err = ParseDateTime(s); err != nil {
			return p, bad("endTimeAt: %v", err)
		}
	}
	switch rel := store.TimeRel(v.Get("timerel")); rel {
	case store.TimeRelNone:
		if v.Has("timeAt") || v.Has("endTimeAt") {
			return p, bad("timeAt and endTimeAt need timerel")
		}
	case store.TimeRelBefore, store.TimeRelAfter:
		if p.TimeAt.IsZero() {
			return p, bad("timerel=%s needs timeAt", rel)
		}
		p.TimeRel = rel
	case store.TimeRelBetween:
		if p.TimeAt.IsZero() || p.EndTimeAt.IsZero() {
			return p, bad("timerel=between needs timeAt and endTimeAt")
		}
		if !p.EndTimeAt.After(p.TimeAt) {
			return p, bad("endTimeAt (%s) must be after timeAt (%s)", v.Get("endTimeAt"), v.Get("timeAt"))
		}
		p.TimeRel = rel
	default:
		return p, bad("unknown timerel %q: use before, after or between", string(rel))
	}
	switch tp := store.TimeProperty(v.Get("timeproperty")); tp {
	case "":
		p.TimeProperty = store.ObservedAt
	case store.ObservedAt, store.ModifiedAt, store.CreatedAt:
		p.TimeProperty = tp
	default:
		return p, bad("unknown timeproperty %q: use observedAt, modifiedAt or createdAt", string(tp))
	}
	if s := v.Get("lastN"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return p, bad("lastN must be a positive integer, not %q", s)
		}
		p.LastN = n
	}
	return p, nil
}

// ParseDateTime parses an NGSI-LD DateTime: RFC 3339 with a time zone
// (Z or an offset), fractional seconds allowed.
func ParseDateTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date-time such as 2026-11-23T08:00:00Z", s)
	}
	return t.UTC(), nil
}

// ParseDuration parses an ISO 8601 duration: PnYnMnWnDTnHnMnS (seconds
// may have a fraction), such as PT1H, P1D, P1M or PT15M. Years and months
// are calendar units; weeks are 7 days. It must be positive.
func ParseDuration(s string) (store.Period, error) {
	var p store.Period
	fail := func() (store.Period, error) {
		return store.Period{}, fmt.Errorf("%q is not an ISO 8601 duration such as PT1H or P1D", s)
	}
	rest, ok := strings.CutPrefix(s, "P")
	if !ok || rest == "" {
		return fail()
	}
	inTime, seen := false, false
	for rest != "" {
		if rest[0] == 'T' {
			if inTime || len(rest) == 1 {
				return fail()
			}
			inTime, rest = true, rest[1:]
			continue
		}
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 || i == len(rest) {
			return fail()
		}
		num, unit := rest[:i], rest[i]
		rest = rest[i+1:]
		f, err := strconv.ParseFloat(num, 64)
		if err != nil || f > 1e6 {
			return fail()
		}
		whole := !strings.Contains(num, ".")
		switch {
		case !inTime && unit == 'Y' && whole:
			p.Months += int(f) * 12
		case !inTime && unit == 'M' && whole:
			p.Months += int(f)
		case !inTime && unit == 'W':
			p.D += time.Duration(f * float64(7*24*time.Hour))
		case !inTime && unit == 'D':
			p.D += time.Duration(f * float64(24*time.Hour))
		case inTime && unit == 'H':
			p.D += time.Duration(f * float64(time.Hour))
		case inTime && unit == 'M':
			p.D += time.Duration(f * float64(time.Minute))
		case inTime && unit == 'S':
			p.D += time.Duration(f * float64(time.Second))
		default:
			return fail()
		}
		seen = true
	}
	if !seen || p.IsZero() {
		return store.Period{}, fmt.Errorf("duration %q is empty", s)
	}
	return p, nil
}

// ParseAggregation reads aggrMethods (required, comma-separated) and
// aggrPeriodDuration (optional; absent or P0D aggregates the whole range).
func ParseAggregation(v url.Values) (*store.Aggregation, error) {
	a := &store.Aggregation{}
	for _, m := range strings.Split(v.Get("aggrMethods"), ",") {
		m = strings.TrimSpace(m)
		if m == "" {
			continue
		}
		if !slices.Contains(store.AggrMethods, m) {
			return nil, bad("unknown aggregation method %q: use %s", m, strings.Join(store.AggrMethods, ", "))
		}
		if !slices.Contains(a.Methods, m) {
			a.Methods = append(a.Methods, m)
		}
	}
	if len(a.Methods) == 0 {
		return nil, bad("the aggregated representation needs aggrMethods (%s)", strings.Join(store.AggrMethods, ", "))
	}
	if s := v.Get("aggrPeriodDuration"); s != "" && s != "P0D" && s != "PT0S" {
		p, err := ParseDuration(s)
		if err != nil {
			return nil, bad("aggrPeriodDuration: %v", err)
		}
		a.Period = p
	}
	return a, nil
}
