package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzRequests sends arbitrary bodies and query strings to the write and
// query endpoints: the server must answer every one with a 2xx or 4xx (never
// a 5xx or a dropped connection), and a request that fails must leave the
// stored entity as it was.
func FuzzRequests(f *testing.F) {
	for _, s := range []string{stationBaiSau, `{"id":"urn:x:1","type":"T","a":{"type":"Property","value":{"b":[1,2,{"c":null}]}}}`,
		`{"pm25":{"type":"Property","value":1e400}}`, `[{"id":"urn:x:2","type":"T"}]`, "\xff\xfe", `{"location":{"type":"GeoProperty","value":{"type":"Polygon","coordinates":[[[1,1],[2,2],[1,1]]]}}}`} {
		f.Add(s, "q=pm25>1;pm10<3|a[b]==\"x\"")
	}
	a := newAPI(&testing.T{})
	f.Cleanup(a.srv.Close)
	f.Fuzz(func(t *testing.T, body, query string) {
		a.t = t
		a.do("POST", "/ngsi-ld/v1/entities", stationBaiTruoc)
		before := a.do("GET", baiTruocPath+"?options=sysAttrs", "").want(t, http.StatusOK).body
		checks := []response{
			a.do("POST", "/ngsi-ld/v1/entities", body),
			a.do("PATCH", baiTruocPath+"/attrs", body),
			a.do("POST", "/ngsi-ld/v1/entityOperations/upsert", body),
			a.do("GET", "/ngsi-ld/v1/entities?"+escapeControls(query), ""),
			a.do("GET", "/ngsi-ld/v1/entities?type=AirQualityObserved&q="+url.QueryEscape(query), ""),
		}
		for i, r := range checks {
			if r.status >= 500 {
				t.Fatalf("request %d answered %d: %s", i, r.status, r.body)
			}
		}
		if checks[1].status >= 400 {
			after := a.do("GET", baiTruocPath+"?options=sysAttrs", "").want(t, http.StatusOK).body
			jsonEqual(t, after, string(before))
		}
	})
}

// escapeControls percent-encodes the ASCII control characters of a raw
// query, which the HTTP client refuses to send (a server never sees them).
func escapeControls(q string) string {
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		if c := q[i]; c < 0x20 || c == 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}
