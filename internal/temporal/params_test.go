package temporal

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
)

func TestParse(t *testing.T) {
	at := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	good := []struct {
		query string
		want  Params
	}{
		{"", Params{TimeProperty: store.ObservedAt}},
		{"timerel=before&timeAt=2026-11-23T08:00:00Z", Params{TimeRel: store.TimeRelBefore, TimeAt: at, TimeProperty: store.ObservedAt}},
		{"timerel=after&timeAt=2026-11-23T15:00:00%2B07:00&timeproperty=modifiedAt",
			Params{TimeRel: store.TimeRelAfter, TimeAt: at, TimeProperty: store.ModifiedAt}},
		{"timerel=between&timeAt=2026-11-23T08:00:00Z&endTimeAt=2026-11-23T09:00:00.5Z&lastN=5&timeproperty=createdAt",
			Params{TimeRel: store.TimeRelBetween, TimeAt: at, EndTimeAt: at.Add(time.Hour + 500*time.Millisecond),
				TimeProperty: store.CreatedAt, LastN: 5}},
	}
	for _, c := range good {
		v, _ := url.ParseQuery(c.query)
		got, err := Parse(v)
		if err != nil {
			t.Errorf("%s: %v", c.query, err)
			continue
		}
		if got.TimeRel != c.want.TimeRel || !got.TimeAt.Equal(c.want.TimeAt) || !got.EndTimeAt.Equal(c.want.EndTimeAt) ||
			got.TimeProperty != c.want.TimeProperty || got.LastN != c.want.LastN {
			t.Errorf("%s: %+v, want %+v", c.query, got, c.want)
		}
	}
	bad := []string{
		"timerel=during&timeAt=2026-11-23T08:00:00Z",
		"timerel=before",
		"timerel=between&timeAt=2026-11-23T08:00:00Z",
		"timerel=between&timeAt=2026-11-23T08:00:00Z&endTimeAt=2026-11-23T07:00:00Z",
		"timerel=between&timeAt=2026-11-23T08:00:00Z&endTimeAt=2026-11-23T08:00:00Z",
		"timerel=after&timeAt=2026-11-23",
		"timerel=after&timeAt=2026-11-23T08:00:00",
		"timerel=after&timeAt=yesterday",
		"timeAt=2026-11-23T08:00:00Z",
		"timeproperty=deletedAt",
		"lastN=0",
		"lastN=-1",
		"lastN=x",
	}
	for _, q := range bad {
		v, _ := url.ParseQuery(q)
		_, err := Parse(v)
		var p *ngsild.Problem
		if !errors.As(err, &p) || p.Type != ngsild.ErrBadRequestData {
			t.Errorf("%s: got %v, want BadRequestData", q, err)
		}
	}
}

func TestParseDuration(t *testing.T) {
	good := map[string]store.Period{
		"PT1H":      {D: time.Hour},
		"P1D":       {D: 24 * time.Hour},
		"PT15M":     {D: 15 * time.Minute},
		"PT0.5S":    {D: 500 * time.Millisecond},
		"P1W":       {D: 7 * 24 * time.Hour},
		"P1M":       {Months: 1},
		"P1Y2M":     {Months: 14},
		"P1DT12H":   {D: 36 * time.Hour},
		"P1Y1DT1S":  {Months: 12, D: 24*time.Hour + time.Second},
		"PT1H30M5S": {D: time.Hour + 30*time.Minute + 5*time.Second},
	}
	for s, want := range good {
		got, err := ParseDuration(s)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %+v, %v; want %+v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "P", "PT", "1H", "PT1D", "P1H", "P1.5M", "PT1H1", "P-1D", "PT0S", "P0D", "PTH", "P1DT", "hourly"} {
		if got, err := ParseDuration(s); err == nil {
			t.Errorf("ParseDuration(%q) = %+v, want an error", s, got)
		}
	}
}

func TestParseAggregation(t *testing.T) {
	v, _ := url.ParseQuery("aggrMethods=avg,max,avg&aggrPeriodDuration=PT1H")
	a, err := ParseAggregation(v)
	if err != nil || len(a.Methods) != 2 || a.Period.D != time.Hour {
		t.Fatalf("got %+v, %v", a, err)
	}
	v, _ = url.ParseQuery("aggrMethods=totalCount&aggrPeriodDuration=P0D")
	if a, err := ParseAggregation(v); err != nil || !a.Period.IsZero() {
		t.Fatalf("P0D: %+v, %v", a, err)
	}
	for _, q := range []string{"", "aggrMethods=median", "aggrMethods=avg&aggrPeriodDuration=1h", "aggrMethods=avg&aggrPeriodDuration=PT"} {
		v, _ := url.ParseQuery(q)
		if _, err := ParseAggregation(v); err == nil {
			t.Errorf("%q accepted", q)
		}
	}
}
