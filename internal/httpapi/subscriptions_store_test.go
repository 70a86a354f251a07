package httpapi_test

import (
	"github.com/dothi-city/dothi/internal/store"
	"github.com/dothi-city/dothi/internal/store/sqlite"
)

// subscriptionStore is where the handler tests keep subscriptions.
func subscriptionStore(st *sqlite.Store) store.SubscriptionStore { return st }
