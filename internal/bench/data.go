package bench

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
)

// The demo city's box: Vũng Tàu peninsula.
const (
	minLon, maxLon = 107.06, 107.12
	minLat, maxLat = 10.32, 10.41
)

// EntityID is the id of the i-th benchmark entity.
func EntityID(i int) string {
	return "urn:ngsi-ld:AirQualityObserved:bench-" + strconv.Itoa(i)
}

// Entity writes the i-th benchmark entity: an air-quality observation with
// a deterministic position and readings.
func Entity(buf *bytes.Buffer, i int) {
	rng := rand.New(rand.NewPCG(uint64(i), 1))
	lon := minLon + rng.Float64()*(maxLon-minLon)
	lat := minLat + rng.Float64()*(maxLat-minLat)
	fmt.Fprintf(buf, `{"id":%q,"type":"AirQualityObserved",`, EntityID(i))
	fmt.Fprintf(buf, `"name":{"type":"Property","value":"Trạm %d"},`, i)
	fmt.Fprintf(buf, `"pm25":{"type":"Property","value":%.1f,"unitCode":"GQ","observedAt":"2026-11-23T08:00:00Z"},`, rng.Float64()*200)
	fmt.Fprintf(buf, `"pm10":{"type":"Property","value":%.1f,"unitCode":"GQ","observedAt":"2026-11-23T08:00:00Z"},`, rng.Float64()*300)
	fmt.Fprintf(buf, `"no2":{"type":"Property","value":%.1f,"unitCode":"GQ"},`, rng.Float64()*150)
	fmt.Fprintf(buf, `"temperature":{"type":"Property","value":%.1f,"unitCode":"CEL"},`, 24+rng.Float64()*10)
	fmt.Fprintf(buf, `"refDevice":{"type":"Relationship","object":"urn:ngsi-ld:Device:bench-%d"},`, i)
	fmt.Fprintf(buf, `"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[%.6f,%.6f]}}}`, lon, lat)
}

// Batch returns a JSON array of n entities starting at first.
func Batch(first, n int) []byte {
	var buf bytes.Buffer
	buf.Grow(n * 700)
	buf.WriteByte('[')
	for i := 0; i < n; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		Entity(&buf, first+i)
	}
	buf.WriteByte(']')
	return buf.Bytes()
}

func patchBody(rng *rand.Rand) []byte {
	return fmt.Appendf(nil, `{"pm25":{"type":"Property","value":%.1f,"observedAt":"2026-11-23T09:00:00Z"}}`, rng.Float64()*200)
}

// RandomPoint is a point in the demo city's box.
func RandomPoint(rng *rand.Rand) (lon, lat float64) {
	return minLon + rng.Float64()*(maxLon-minLon), minLat + rng.Float64()*(maxLat-minLat)
}
