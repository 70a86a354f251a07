package subscription

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/dothi-city/dothi/internal/jsonld"
	"github.com/dothi-city/dothi/internal/ngsild"
)

// buildNotification returns the NGSI-LD Notification body carrying data
// (rendered entities).
func buildNotification(c *compiled, data [][]byte, now time.Time) []byte {
	var id [12]byte
	_, _ = rand.Read(id[:])
	var buf bytes.Buffer
	buf.Grow(160 + len(data)*64)
	buf.WriteString(`{"id":"urn:ngsi-ld:Notification:`)
	buf.WriteString(hex.EncodeToString(id[:]))
	buf.WriteString(`","type":"Notification","subscriptionId":`)
	sid, _ := json.Marshal(c.sub.ID)
	buf.Write(sid)
	buf.WriteString(`,"notifiedAt":"`)
	buf.WriteString(ngsild.FormatTime(now))
	buf.WriteString(`","data":[`)
	for i, d := range data {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(d)
	}
	buf.WriteByte(']')
	if c.sub.Notification.Endpoint.Accept == MediaLD {
		ref := c.sub.Context
		if ref == nil {
			ref = jsonld.CoreContextURL
		}
		b, _ := json.Marshal(ref)
		buf.WriteString(`,"@context":`)
		buf.Write(b)
	}
	buf.WriteByte('}')
	return buf.Bytes()
}

// headers returns the protocol headers of a notification of c.
func notificationHeaders(c *compiled) [][2]string {
	ep := c.sub.Notification.Endpoint
	h := [][2]string{{"Content-Type", ep.Accept}}
	if ep.Accept != MediaLD {
		h = append(h, [2]string{"Link", jsonld.Link(c.contextURL())})
	}
	if c.sub.Tenant != "" {
		h = append(h, [2]string{"NGSILD-Tenant", c.sub.Tenant})
	}
	for _, kv := range ep.ReceiverInfo {
		h = append(h, [2]string{kv.Key, kv.Value})
	}
	return h
}

// sender delivers notification bodies to endpoints.
type sender struct {
	client  *http.Client
	timeout time.Duration

	mu    sync.Mutex
	mqtts map[string]mqtt.Client
}

func newSender(timeout time.Duration) *sender {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 1024
	tr.MaxIdleConnsPerHost = 256
	tr.ResponseHeaderTimeout = timeout
	return &sender{client: &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		timeout: timeout, mqtts: map[string]mqtt.Client{}}
}

// send delivers body to the subscription's endpoint.
func (s *sender) send(ctx context.Context, c *compiled, body []byte) error {
	uri := c.sub.Notification.Endpoint.URI
	if strings.HasPrefix(uri, "mqtt://") || strings.HasPrefix(uri, "mqtts://") {
		return s.sendMQTT(c, body)
	}
	return s.sendHTTP(ctx, c, body)
}

func (s *sender) sendHTTP(ctx context.Context, c *compiled, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.sub.Notification.Endpoint.URI, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for _, h := range notificationHeaders(c) {
		req.Header.Set(h[0], h[1])
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("receiver answered %s", resp.Status)
	}
	return nil
}

// sendMQTT publishes the notification as the MQTT binding of NGSI-LD
// describes it: {"metadata": {headers}, "body": notification}, QoS 1
// unless notifierInfo MQTT-QoS says otherwise.
func (s *sender) sendMQTT(c *compiled, body []byte) error {
	u, err := url.Parse(c.sub.Notification.Endpoint.URI)
	if err != nil {
		return err
	}
	meta := map[string]string{}
	for _, h := range notificationHeaders(c) {
		meta[h[0]] = h[1]
	}
	metaJSON, _ := json.Marshal(meta)
	msg := make([]byte, 0, len(body)+len(metaJSON)+24)
	msg = append(msg, `{"metadata":`...)
	msg = append(msg, metaJSON...)
	msg = append(msg, `,"body":`...)
	msg = append(msg, body...)
	msg = append(msg, '}')
	qos := byte(1)
	for _, kv := range c.sub.Notification.Endpoint.NotifierInfo {
		if kv.Key == "MQTT-QoS" {
			n, _ := strconv.Atoi(kv.Value)
			qos = byte(n)
		}
	}
	cl, err := s.mqttClient(u)
	if err != nil {
		return err
	}
	tok := cl.Publish(strings.TrimPrefix(u.Path, "/"), qos, false, msg)
	if !tok.WaitTimeout(s.timeout) {
		return errors.New("mqtt: publish timed out")
	}
	return tok.Error()
}

// mqttClient returns a connected client for the broker of u, shared by the
// subscriptions that publish there.
func (s *sender) mqttClient(u *url.URL) (mqtt.Client, error) {
	scheme := "tcp"
	port := "1883"
	if u.Scheme == "mqtts" {
		scheme, port = "ssl", "8883"
	}
	if u.Port() != "" {
		port = u.Port()
	}
	broker := scheme + "://" + u.Hostname() + ":" + port
	key := broker + "|" + u.User.String()
	s.mu.Lock()
	defer s.mu.Unlock()
	if cl, ok := s.mqtts[key]; ok && cl.IsConnectionOpen() {
		return cl, nil
	} else if ok {
		cl.Disconnect(0)
		delete(s.mqtts, key)
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	opts := mqtt.NewClientOptions().AddBroker(broker).SetClientID("dothi-notifier-" + hex.EncodeToString(rnd[:])).
		SetConnectTimeout(s.timeout).SetAutoReconnect(true).SetCleanSession(true).SetOrderMatters(false)
	if u.User != nil {
		opts.SetUsername(u.User.Username())
		if p, ok := u.User.Password(); ok {
			opts.SetPassword(p)
		}
	}
	cl := mqtt.NewClient(opts)
	tok := cl.Connect()
	if !tok.WaitTimeout(s.timeout) {
		return nil, fmt.Errorf("mqtt: connect to %s timed out", broker)
	}
	if err := tok.Error(); err != nil {
		return nil, fmt.Errorf("mqtt: connect to %s: %w", broker, err)
	}
	s.mqtts[key] = cl
	return cl, nil
}

// close disconnects the MQTT clients and idle HTTP connections.
func (s *sender) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, cl := range s.mqtts {
		cl.Disconnect(250)
		delete(s.mqtts, k)
	}
	s.client.CloseIdleConnections()
}
