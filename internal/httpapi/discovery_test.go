package httpapi_test

import (
	"net/http"
	"testing"
)

func TestDiscovery(t *testing.T) {
	a := newAPI(t)
	a.seed()
	types := a.do("GET", "/ngsi-ld/v1/types", "").want(t, http.StatusOK).object(t)
	jsonEqualValue(t, types["typeList"], `["AirQualityObserved","TrafficFlowObserved"]`)

	info := a.do("GET", "/ngsi-ld/v1/types/AirQualityObserved", "").want(t, http.StatusOK).object(t)
	if info["entityCount"] != 2.0 || info["typeName"] != "AirQualityObserved" {
		t.Errorf("type info %v", info)
	}
	details := info["attributeDetails"].([]any)
	names := map[string]any{}
	for _, d := range details {
		m := d.(map[string]any)
		names[m["attributeName"].(string)] = m["attributeTypes"]
	}
	if len(names) != 5 || names["location"] == nil {
		t.Errorf("attribute details %v", names)
	}
	jsonEqualValue(t, names["refDevice"], `["Relationship"]`)
	a.do("GET", "/ngsi-ld/v1/types/Nothing", "").problem(t, 404, "ResourceNotFound", "Nothing")

	detailed := a.do("GET", "/ngsi-ld/v1/types?details=true", "").want(t, http.StatusOK).list(t)
	if len(detailed) != 2 || detailed[1]["typeName"] != "TrafficFlowObserved" {
		t.Errorf("types details %v", detailed)
	}

	attrs := a.do("GET", "/ngsi-ld/v1/attributes", "").want(t, http.StatusOK).object(t)
	jsonEqualValue(t, attrs["attributeList"], `["intensity","location","name","pm10","pm25","refDevice","roadName"]`)
	loc := a.do("GET", "/ngsi-ld/v1/attributes/location", "").want(t, http.StatusOK).object(t)
	if loc["attributeCount"] != 3.0 {
		t.Errorf("location attribute %v", loc)
	}
	jsonEqualValue(t, loc["typeNames"], `["AirQualityObserved","TrafficFlowObserved"]`)
	a.do("GET", "/ngsi-ld/v1/attributes/nothing", "").problem(t, 404, "ResourceNotFound")
	a.do("GET", "/ngsi-ld/v1/types", "", "NGSILD-Tenant", "nowhere").problem(t, 404, "NonexistentTenant")
}

func jsonEqualValue(t *testing.T, got any, want string) {
	t.Helper()
	b, _ := jsonMarshal(got)
	jsonEqual(t, b, want)
}
