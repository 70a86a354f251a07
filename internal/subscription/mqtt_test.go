package subscription

import (
	"encoding/json"
	"fmt"
	"net"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// mosquitto is the MQTT broker the tests publish to.
const mosquitto = "127.0.0.1:1883"

func TestMQTTDelivery(t *testing.T) {
	conn, err := net.DialTimeout("tcp", mosquitto, time.Second)
	if err != nil {
		t.Skipf("no MQTT broker on %s (%v): start Mosquitto to run this test", mosquitto, err)
	}
	conn.Close()
	topic := fmt.Sprintf("dothi/test/%d", time.Now().UnixNano())
	got := make(chan []byte, 10)
	cl := mqtt.NewClient(mqtt.NewClientOptions().AddBroker("tcp://" + mosquitto).SetClientID(fmt.Sprintf("dothi-test-%d", time.Now().UnixNano())))
	if tok := cl.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer cl.Disconnect(100)
	if tok := cl.Subscribe(topic, 1, func(_ mqtt.Client, m mqtt.Message) { got <- m.Payload() }); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}

	e := newEnv(t, testOptions())
	s := e.subscribe("", `{"type":"Subscription","entities":[{"type":"T"}],"notification":{"format":"keyValues",
		"endpoint":{"uri":"mqtt://`+mosquitto+`/`+topic+`","receiverInfo":[{"key":"X-Site","value":"vt"}]}}}`)
	e.put("", `{"id":"urn:x:1","type":"T","a":{"type":"Property","value":7}}`)
	select {
	case payload := <-got:
		var msg struct {
			Metadata map[string]string `json:"metadata"`
			Body     struct {
				Type           string           `json:"type"`
				SubscriptionID string           `json:"subscriptionId"`
				Data           []map[string]any `json:"data"`
			} `json:"body"`
		}
		if err := json.Unmarshal(payload, &msg); err != nil {
			t.Fatalf("MQTT payload %s: %v", payload, err)
		}
		if msg.Body.Type != "Notification" || msg.Body.SubscriptionID != s.ID || len(msg.Body.Data) != 1 ||
			msg.Body.Data[0]["id"] != "urn:x:1" || fmt.Sprint(msg.Body.Data[0]["a"]) != "7" {
			t.Errorf("MQTT notification %s", payload)
		}
		if msg.Metadata["Content-Type"] != "application/json" || msg.Metadata["X-Site"] != "vt" {
			t.Errorf("MQTT metadata %v", msg.Metadata)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no MQTT notification within 5s")
	}
}
