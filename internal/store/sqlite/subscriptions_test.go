package sqlite

import (
	"testing"

	"github.com/dothi-city/dothi/internal/store"
	"github.com/dothi-city/dothi/internal/store/storetest"
)

func TestSubscriptionConformance(t *testing.T) {
	storetest.RunSubscriptions(t, func(t *testing.T, dir string) store.Store { return openTest(t, dir) })
}
