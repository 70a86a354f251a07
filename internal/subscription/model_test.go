package subscription

import (
	"strings"
	"testing"
	"time"

	"github.com/dothi-city/dothi/internal/jsonld"
	"github.com/dothi-city/dothi/internal/ngsild"
)

func TestParseValid(t *testing.T) {
	s, err := Parse(decode(t, `{"type":"Subscription","id":"urn:ngsi-ld:Subscription:1","entities":[{"type":"AirQualityObserved","idPattern":"^urn:.*"}],
		"watchedAttributes":["pm25"],"q":"pm25>25","throttling":5,"notificationTrigger":["entityCreated","attributeUpdated"],
		"geoQ":{"geometry":"Point","coordinates":[107.08,10.346],"georel":"near;maxDistance==2000"},
		"notification":{"attributes":["pm25"],"format":"keyValues","endpoint":{"uri":"http://localhost:1234/n","accept":"application/ld+json",
		"receiverInfo":[{"key":"Authorization","value":"Bearer x"}]}}}`), jsonld.Core(), nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != "urn:ngsi-ld:Subscription:1" || s.Entities[0].Type != ngsild.IRIDefaultCtx+"AirQualityObserved" ||
		s.WatchedAttributes[0] != ngsild.IRIDefaultCtx+"pm25" || !s.IsActive || s.Notification.Format != FormatKeyValues {
		t.Errorf("parsed %+v", s)
	}
	gen, err := Parse(decode(t, `{"type":"Subscription","watchedAttributes":["a"],"notification":{"endpoint":{"uri":"mqtt://h:1883/t/x"}}}`), jsonld.Core(), nil, time.Now())
	if err != nil || !strings.HasPrefix(gen.ID, "urn:ngsi-ld:Subscription:") || gen.Notification.Endpoint.Accept != MediaJSON {
		t.Errorf("generated id %v %v", gen, err)
	}
}

func TestParseInvalid(t *testing.T) {
	ep := `"notification":{"endpoint":{"uri":"http://localhost/n"}}`
	for _, tt := range []struct{ body, want string }{
		{`{"entities":[{"type":"T"}],` + ep + `}`, `"type": "Subscription"`},
		{`{"type":"Subscription",` + ep + `}`, "entities or watchedAttributes"},
		{`{"type":"Subscription","id":"not a uri","entities":[{"type":"T"}],` + ep + `}`, "not a URI"},
		{`{"type":"Subscription","entities":[],` + ep + `}`, "entities must be"},
		{`{"type":"Subscription","entities":[{"id":"urn:x"}],` + ep + `}`, "needs a type"},
		{`{"type":"Subscription","entities":[{"type":"T","idPattern":"("}],` + ep + `}`, "idPattern"},
		{`{"type":"Subscription","entities":[{"type":"T","id":"urn:a","idPattern":"a"}],` + ep + `}`, "both id and idPattern"},
		{`{"type":"Subscription","entities":[{"type":"T","color":"red"}],` + ep + `}`, `"color"`},
		{`{"type":"Subscription","watchedAttributes":"a",` + ep + `}`, "watchedAttributes must be"},
		{`{"type":"Subscription","watchedAttributes":[""],` + ep + `}`, "not an attribute name"},
		{`{"type":"Subscription","watchedAttributes":["a"],"notificationTrigger":["entityTouched"],` + ep + `}`, "notificationTrigger"},
		{`{"type":"Subscription","watchedAttributes":["a"],"q":"a>>1",` + ep + `}`, "q:"},
		{`{"type":"Subscription","watchedAttributes":["a"],"geoQ":{"geometry":"Point","coordinates":[1,2]},` + ep + `}`, "georel"},
		{`{"type":"Subscription","watchedAttributes":["a"],"geoQ":"near",` + ep + `}`, "geoQ must be"},
		{`{"type":"Subscription","watchedAttributes":["a"],"throttling":-1,` + ep + `}`, "throttling must be"},
		{`{"type":"Subscription","watchedAttributes":["a"],"timeInterval":"x",` + ep + `}`, "timeInterval must be"},
		{`{"type":"Subscription","entities":[{"type":"T"}],"timeInterval":5,"throttling":1,` + ep + `}`, "timeInterval and throttling"},
		{`{"type":"Subscription","entities":[{"type":"T"}],"watchedAttributes":["a"],"timeInterval":5,` + ep + `}`, "timeInterval and watchedAttributes"},
		{`{"type":"Subscription","watchedAttributes":["a"],"expiresAt":"tomorrow",` + ep + `}`, "expiresAt must be"},
		{`{"type":"Subscription","watchedAttributes":["a"],"expiresAt":"2001-01-01T00:00:00Z",` + ep + `}`, "not in the future"},
		{`{"type":"Subscription","watchedAttributes":["a"],"isActive":"yes",` + ep + `}`, "isActive"},
		{`{"type":"Subscription","watchedAttributes":["a"]}`, "notification is required"},
		{`{"type":"Subscription","watchedAttributes":["a"],"notification":{}}`, "endpoint is required"},
		{`{"type":"Subscription","watchedAttributes":["a"],"notification":{"endpoint":{}}}`, "uri is required"},
		{`{"type":"Subscription","watchedAttributes":["a"],"notification":{"endpoint":{"uri":"ftp://h/x"}}}`, "scheme"},
		{`{"type":"Subscription","watchedAttributes":["a"],"notification":{"endpoint":{"uri":"relative/path"}}}`, "absolute"},
		{`{"type":"Subscription","watchedAttributes":["a"],"notification":{"endpoint":{"uri":"mqtt://h:1883"}}}`, "topic"},
		{`{"type":"Subscription","watchedAttributes":["a"],"notification":{"endpoint":{"uri":"mqtt://h:1883/a/#"}}}`, "wildcards"},
		{`{"type":"Subscription","watchedAttributes":["a"],"notification":{"endpoint":{"uri":"http://h/x","accept":"text/csv"}}}`, "accept"},
		{`{"type":"Subscription","watchedAttributes":["a"],"notification":{"format":"xml","endpoint":{"uri":"http://h/x"}}}`, "format"},
		{`{"type":"Subscription","watchedAttributes":["a"],"notification":{"attributes":[1],"endpoint":{"uri":"http://h/x"}}}`, "attributes"},
		{`{"type":"Subscription","watchedAttributes":["a"],"notification":{"endpoint":{"uri":"http://h/x","receiverInfo":[{"key":"Bad Header","value":"v"}]}}}`, "receiverInfo"},
		{`{"type":"Subscription","watchedAttributes":["a"],"notification":{"endpoint":{"uri":"http://h/x","receiverInfo":{"key":"a"}}}}`, "receiverInfo must be"},
		{`{"type":"Subscription","watchedAttributes":["a"],"notification":{"endpoint":{"uri":"mqtt://h/x","notifierInfo":[{"key":"MQTT-QoS","value":"3"}]}}}`, "MQTT-QoS"},
		{`{"type":"Subscription","watchedAttributes":["a"],"colour":"red",` + ep + `}`, `"colour"`},
		{`{"type":"Subscription","watchedAttributes":["a"],"notification":{"endpoint":{"uri":"mqtt://h/x","notifierInfo":[{"key":"MQTT-Version","value":"mqtt5.0"}]}}}`, "mqtt3.1.1"},
	} {
		_, err := Parse(decode(t, tt.body), jsonld.Core(), nil, time.Now())
		if err == nil {
			t.Errorf("%s: no error, want one mentioning %q", tt.body, tt.want)
			continue
		}
		if !ngsild.IsType(err, ngsild.ErrBadRequestData) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want BadRequestData mentioning %q", tt.body, err, tt.want)
		}
	}
}
