package qlang

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/geo"
	"github.com/dothi-city/dothi/internal/ngsild"
)

func prop(v any) *ngsild.Attribute {
	return &ngsild.Attribute{Type: ngsild.TypeProperty, Value: v}
}

func rel(object string) *ngsild.Attribute {
	return &ngsild.Attribute{Type: ngsild.TypeRelationship, Object: object}
}

func num(s string) json.Number { return json.Number(s) }

// fixture returns an entity whose attribute names are expanded by expandEx.
func fixture(t testing.TB) *ngsild.Entity {
	point, err := geo.NewPoint(2.35, 48.85)
	if err != nil {
		t.Fatal(err)
	}
	temperature := prop(num("21.5"))
	temperature.ObservedAt = time.Date(2020, 8, 1, 12, 0, 0, 0, time.UTC)
	temperature.UnitCode = "CEL"
	temperature.CreatedAt = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	temperature.Sub = map[string][]*ngsild.Attribute{
		ns + "accuracy": {prop(num("0.5"))},
		ns + "sensor":   {rel("urn:ngsi-ld:Device:1")},
	}
	speedDefault, speedGPS := prop(num("10")), prop(num("80"))
	speedGPS.DatasetID = "urn:ngsi-ld:Dataset:gps"
	speedGPS.ObservedAt = time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	attrs := map[string]*ngsild.Attribute{
		"name":     prop("Bâtiment A"),
		"status":   prop("open"),
		"isOpen":   prop(true),
		"count":    prop(num("42")),
		"negative": prop(num("-3")),
		"tags":     prop([]any{"red", "green", num("3")}),
		"address": prop(map[string]any{
			"city":   "Paris",
			"street": map[string]any{"name": "Rue de Rivoli", "number": num("12")},
			"zones":  []any{map[string]any{"id": "z1"}, map[string]any{"id": "z2"}},
		}),
		"owner":    rel("urn:ngsi-ld:Person:Bob"),
		"label":    {Type: ngsild.TypeLanguageProperty, LanguageMap: map[string]string{"en": "Town hall", "fr": "Mairie"}},
		"location": {Type: ngsild.TypeGeoProperty, Geometry: point},
		"lastSeen": prop("2021-03-04T05:06:07Z"),
		"day":      prop("2021-03-04"),
		"opens":    prop("08:30:00Z"),
		"nothing":  prop(nil),
		"quote":    prop(`say "hi"; (ok)`),
	}
	e := &ngsild.Entity{
		ID:         "urn:ngsi-ld:Building:1",
		Types:      []string{ns + "Building"},
		CreatedAt:  time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC),
		ModifiedAt: time.Date(2022, 5, 1, 0, 0, 0, 0, time.UTC),
		Attrs: map[string][]*ngsild.Attribute{
			ns + "temperature": {temperature},
			ns + "speed":       {speedDefault, speedGPS},
		},
	}
	for name, a := range attrs {
		e.Attrs[ns+name] = []*ngsild.Attribute{a}
	}
	return e
}

func TestMatch(t *testing.T) {
	tests := []struct {
		q    string
		want bool
	}{
		// existence
		{"temperature", true},
		{"missing", false},
		{"!missing", true},
		{"!temperature", false},
		{"nothing", true},
		{"location", true},
		{"label", true},
		// numbers and every operator
		{"count==42", true},
		{"count==42.0", true},
		{"count==4.2e1", true},
		{"count==41", false},
		{"count!=41", true},
		{"count!=42", false},
		{"count>41", true},
		{"count>42", false},
		{"count>=42", true},
		{"count>=43", false},
		{"count<43", true},
		{"count<42", false},
		{"count<=42", true},
		{"count<=41.9", false},
		{"negative<-2", true},
		{"negative==-3", true},
		{"temperature>21.4", true},
		{"temperature<21.5", false},
		// != needs the attribute
		{"missing!=1", false},
		{"missing!~=x", false},
		// type mismatches are false, never errors
		{`count=="42"`, false},
		{`count!="42"`, true},
		{"status==1", false},
		{"status>1", false},
		{"isOpen==1", false},
		{"count==true", false},
		{"location==1", false},
		{"nothing==1", false},
		{"count~=4", false},
		{"count==2020-01-01T00:00:00Z", false},
		// strings
		{`status=="open"`, true},
		{`status=="closed"`, false},
		{`status!="closed"`, true},
		{`status>"alpha"`, true},
		{`status<"alpha"`, false},
		{`name=="Bâtiment A"`, true},
		{`quote=="say \"hi\"; (ok)"`, true},
		// booleans
		{"isOpen==true", true},
		{"isOpen==false", false},
		{"isOpen!=false", true},
		// value lists
		{"count==1,42,3", true},
		{"count==1,2,3", false},
		{`status=="closed","open"`, true},
		{"count!=1,2,3", true},
		{"count!=1,42", false},
		// ranges (inclusive)
		{"count==40..45", true},
		{"count==42..42", true},
		{"count==43..50", false},
		{"count!=43..50", true},
		{"count!=1..42", false},
		{"temperature==21..22", true},
		{`status=="a".."p"`, true},
		{`status=="p".."z"`, false},
		{"lastSeen==2021-03-04T00:00:00Z..2021-03-05T00:00:00Z", true},
		// patterns
		{"status~=^op", true},
		{"status~=^cl", false},
		{`name~="(?i)^bât"`, true},
		{`status!~=^cl`, true},
		{`status!~=^op`, false},
		{`status~=clo|op`, false}, // "|" ends an unquoted pattern: status~=clo OR op
		{`status~="clo|op"`, true},
		{`owner~=Person`, true},
		{`temperature.observedAt~=^2020-08`, true},
		// arrays: any element
		{`tags=="green"`, true},
		{`tags=="blue"`, false},
		{"tags==3", true},
		{`tags!="blue"`, true},
		{`tags!="red"`, false},
		{"tags>2", true},
		{`tags~=^gr`, true},
		// precedence and parentheses
		{"count==1;status==\"open\"|isOpen==true", true},
		{"count==1;(status==\"open\"|isOpen==true)", false},
		{"isOpen==true|count==1;status==\"x\"", true},
		{"(isOpen==true|count==1);status==\"x\"", false},
		{"count==42;status==\"open\";isOpen==true", true},
		{"count==1|status==\"x\"|missing", false},
		// sub-attributes
		{"temperature.accuracy==0.5", true},
		{"temperature.accuracy<0.1", false},
		{"temperature.sensor==urn:ngsi-ld:Device:1", true},
		{"temperature.missing", false},
		{"temperature.accuracy", true},
		{"temperature.accuracy.deeper", false},
		// metadata
		{"temperature.observedAt", true},
		{"temperature.observedAt>=2020-08-01T00:00:00Z", true},
		{"temperature.observedAt>2020-08-01T12:00:00Z", false},
		{"temperature.observedAt==2020-08-01T14:00:00+02:00", true},
		{`temperature.observedAt=="2020-08-01T12:00:00Z"`, true},
		{`temperature.observedAt=="not a time"`, false},
		{"temperature.observedAt==2020-08-01", true},
		{"temperature.observedAt==12:00:00Z", true},
		{"temperature.unitCode==\"CEL\"", true},
		{"temperature.unitCode==\"FAH\"", false},
		{"temperature.createdAt<2020-06-01T00:00:00Z", true},
		{"temperature.modifiedAt", false},
		{"temperature.datasetId", false},
		{"count.observedAt", false},
		{"count.observedAt!=2020-01-01T00:00:00Z", false},
		// entity timestamps
		{"createdAt<2020-01-01T00:00:00Z", true},
		{"modifiedAt>2022-01-01T00:00:00Z", true},
		{"modifiedAt==2022-05-01", true},
		// bracket keys
		{`address[city]=="Paris"`, true},
		{`address[city]=="Lyon"`, false},
		{`address[street.number]==12`, true},
		{`address[street][number]>=10`, true},
		{`address[street.name]~=Rivoli`, true},
		{`address[zones.id]=="z2"`, true},
		{`address[street]`, true},
		{`address[country]`, false},
		{`address[city.x]`, false},
		{`status[x]`, false},
		{`owner[x]`, false},
		// date-times, dates and times in string values
		{"lastSeen>2021-03-04T05:06:06Z", true},
		{"lastSeen<2021-03-04T05:06:07Z", false},
		{"lastSeen==2021-03-04T07:06:07+02:00", true},
		{"lastSeen==2021-03-04", true},
		{"lastSeen>2021-03-03", true},
		{"lastSeen<05:00:00Z", false},
		{"day==2021-03-04", true},
		{"day>=2021-03-05", false},
		{"day<2021-03-04T00:00:01Z", true},
		{"opens<09:00:00Z", true},
		{"opens==09:30:00+01:00", true},
		{"opens>08:30:00", false},
		{"status>2021-01-01", false},
		// relationships
		{"owner==urn:ngsi-ld:Person:Bob", true},
		{`owner=="urn:ngsi-ld:Person:Bob"`, true},
		{"owner==urn:ngsi-ld:Person:Alice", false},
		{"owner!=urn:ngsi-ld:Person:Alice", true},
		{"owner==urn:ngsi-ld:Person:Alice,urn:ngsi-ld:Person:Bob", true},
		// language properties: any language
		{`label=="Mairie"`, true},
		{`label=="Town hall"`, true},
		{`label=="Rathaus"`, false},
		{`label!="Rathaus"`, true},
		{`label!="Mairie"`, false},
		{`label~=^Mai`, true},
		{`label[fr]=="Mairie"`, true},
		{`label[en]=="Mairie"`, false},
		{`label[de]`, false},
		// multi-attribute instances: any instance
		{"speed==80", true},
		{"speed==10", true},
		{"speed>50", true},
		{"speed<5", false},
		{"speed!=10", false},
		{"speed!=30", true},
		{"speed.datasetId==urn:ngsi-ld:Dataset:gps", true},
		{"speed.datasetId", true},
		{"speed.observedAt>2020-12-31T00:00:00Z", true},
	}
	e := fixture(t)
	for _, tt := range tests {
		x, err := Parse(tt.q, expandEx)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.q, err)
			continue
		}
		if got := x.Match(e); got != tt.want {
			t.Errorf("%s: Match = %v, want %v", tt.q, got, tt.want)
		}
	}
}

func TestMatchEmptyEntity(t *testing.T) {
	e := &ngsild.Entity{ID: "urn:x:1"}
	for _, q := range []string{"a", "a==1", "a!=1", "a~=x", "a.b", "a[k]==1", "createdAt", "modifiedAt>2020-01-01"} {
		x, err := Parse(q, nil)
		if err != nil {
			t.Fatalf("Parse(%q): %v", q, err)
		}
		if x.Match(e) {
			t.Errorf("%s matches an empty entity", q)
		}
	}
	x, _ := Parse("!a", nil)
	if !x.Match(e) {
		t.Error("!a does not match an empty entity")
	}
}
