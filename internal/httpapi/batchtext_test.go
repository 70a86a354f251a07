package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dothi-city/dothi/internal/httpapi"
)

// TestBatchTextParsingSameOutcome runs the same batch operations with
// items parsed from their text and from the decoded body, and expects the
// same answers and the same stored entities.
func TestBatchTextParsingSameOutcome(t *testing.T) {
	item := func(i int, extra string) string {
		return fmt.Sprintf(`{"id":"urn:ngsi-ld:T:%d","type":"T","p":{"type":"Property","value":%d}%s}`, i, i, extra)
	}
	var ops [][2]string
	// create: new entities, a duplicate id within the batch, bad items.
	var items []string
	for i := 0; i < 40; i++ {
		switch i % 9 {
		case 3:
			items = append(items, `{"id":"bad id","type":"T"}`)
		case 5:
			items = append(items, `7`)
		case 7:
			items = append(items, item(i-1, ""))
		default:
			items = append(items, item(i, ""))
		}
	}
	ops = append(ops, [2]string{"/ngsi-ld/v1/entityOperations/create", "[" + strings.Join(items, ",") + "]"})
	// upsert (replace and update), some new, some existing, some twice.
	items = items[:0]
	for i := 20; i < 60; i++ {
		items = append(items, item(i, fmt.Sprintf(`,"q%d":{"type":"Property","value":"x"}`, i%3)))
		if i%10 == 0 {
			items = append(items, item(i, `,"r":{"type":"Relationship","object":"urn:x:1"}`))
		}
		if i%13 == 0 {
			items = append(items, `{"id":"urn:ngsi-ld:T:x","type":"T","p":{"type":"Property"}}`)
		}
	}
	ops = append(ops, [2]string{"/ngsi-ld/v1/entityOperations/upsert", "[" + strings.Join(items, ",") + "]"})
	ops = append(ops, [2]string{"/ngsi-ld/v1/entityOperations/upsert?options=update", "[" + strings.Join(items, ",") + "]"})
	ops = append(ops, [2]string{"/ngsi-ld/v1/entityOperations/upsert", "[" + strings.Join(items[:30], ",") + "]"})
	// update: existing and missing entities.
	items = items[:0]
	for i := 50; i < 90; i++ {
		items = append(items, item(i, `,"u":{"type":"Property","value":true}`))
	}
	ops = append(ops, [2]string{"/ngsi-ld/v1/entityOperations/update?options=noOverwrite", "[" + strings.Join(items, ",") + "]"})
	ops = append(ops, [2]string{"/ngsi-ld/v1/entityOperations/update", "[" + strings.Join(items, ",") + "]"})

	run := func(fromText bool) []string {
		defer httpapi.SetParseFromText(fromText)()
		a := newAPI(t)
		var out []string
		for _, op := range ops {
			r := a.do("POST", op[0], op[1])
			out = append(out, fmt.Sprintf("%s: %d %s", op[0], r.status, r.body))
		}
		r := a.do("GET", "/ngsi-ld/v1/entities?type=T&limit=100", "")
		return append(out, fmt.Sprintf("entities: %d %s", r.status, r.body))
	}
	decoded, text := run(false), run(true)
	for i := range decoded {
		if decoded[i] != text[i] {
			t.Errorf("step %d differs:\nfrom the decoded body %s\nfrom the item texts   %s", i, decoded[i], text[i])
		}
	}
}
