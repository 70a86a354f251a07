// Package subscription implements NGSI-LD subscriptions and their
// notifications (ETSI GS CIM 009 clauses 5.2.12, 5.8 and 5.11): the model
// and its validation, the Manager behind the HTTP handlers, and the
// Notifier that reads the store's change log and delivers notifications
// over HTTP and MQTT with retries, without losing them across a restart.
//
// Delivery is at least once. The notifier reads the change log
// (store.ChangeLog) from a cursor kept in the store; for each batch of
// records it matches every active subscription of the record's tenant
// (entity selectors, watchedAttributes against the record's changed
// attributes, notificationTrigger, and q and geoQ evaluated on the entity
// as it is when the record is handled), renders the entity in the
// subscription's format, and stores the owed notifications together with
// the new cursor in one transaction (AddPendingNotifications). One worker
// per subscription then delivers them in order, retrying with exponential
// backoff up to MaxAttempts; a delivered notification's pending row is
// deleted. A crash between a delivery and that deletion repeats the
// notification after the restart; nothing owed is lost.
//
// Throttling delays notifications rather than dropping them: what queued
// during the throttling period goes out as one notification whose data
// holds every entity. Periodic subscriptions (timeInterval) send the
// entities they select every interval and are not triggered by changes.
//
// Known limits: the change log records which attributes changed, not
// whether each was added or modified; attributeCreated and
// attributeUpdated are told apart by the attribute's createdAt and
// modifiedAt in the entity as it is when the record is handled, which is
// exact unless the attribute changed again in between. A change of an
// entity deleted before the notifier reads the record is not notified
// (its deletion is).
package subscription

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/dothi-city/dothi/internal/geo"
	"github.com/dothi-city/dothi/internal/jsonld"
	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/ngsild/qlang"
)

// Notification triggers (clause 5.2.12, notificationTrigger).
const (
	TriggerEntityCreated    = "entityCreated"
	TriggerEntityUpdated    = "entityUpdated"
	TriggerEntityDeleted    = "entityDeleted"
	TriggerAttributeCreated = "attributeCreated"
	TriggerAttributeUpdated = "attributeUpdated"
	TriggerAttributeDeleted = "attributeDeleted"
)

var allTriggers = []string{TriggerEntityCreated, TriggerEntityUpdated, TriggerEntityDeleted,
	TriggerAttributeCreated, TriggerAttributeUpdated, TriggerAttributeDeleted}

// defaultTriggers apply when a subscription has no notificationTrigger.
var defaultTriggers = []string{TriggerAttributeCreated, TriggerAttributeUpdated}

// Notification formats.
const (
	FormatNormalized = "normalized"
	FormatKeyValues  = "keyValues"
	FormatConcise    = "concise"
)

// Media types of notification bodies.
const (
	MediaJSON = "application/json"
	MediaLD   = "application/ld+json"
)

// Subscription is an NGSI-LD subscription with every name expanded. Its
// JSON form is what the store keeps.
type Subscription struct {
	ID                  string           `json:"id"`
	Tenant              string           `json:"tenant,omitempty"`
	Name                string           `json:"subscriptionName,omitempty"`
	Description         string           `json:"description,omitempty"`
	Entities            []EntitySelector `json:"entities,omitempty"`
	WatchedAttributes   []string         `json:"watchedAttributes,omitempty"`
	NotificationTrigger []string         `json:"notificationTrigger,omitempty"`
	TimeInterval        float64          `json:"timeInterval,omitempty"`
	Q                   string           `json:"q,omitempty"`
	GeoQ                map[string]any   `json:"geoQ,omitempty"`
	Throttling          float64          `json:"throttling,omitempty"`
	ExpiresAt           time.Time        `json:"expiresAt,omitzero"`
	IsActive            bool             `json:"isActive"`
	Notification        NotificationSpec `json:"notification"`
	// Context is the JSON-LD context the subscription was written with
	// (a URL, an object or an array); it expands q and geoQ and compacts
	// the notifications. Nil for the core context.
	Context    any       `json:"@context,omitempty"`
	CreatedAt  time.Time `json:"createdAt,omitzero"`
	ModifiedAt time.Time `json:"modifiedAt,omitzero"`
}

// EntitySelector selects entities by type and id or id pattern.
type EntitySelector struct {
	ID        string `json:"id,omitempty"`
	IDPattern string `json:"idPattern,omitempty"`
	// Type is the expanded type, or a type selection with expanded names.
	Type string `json:"type"`
}

// NotificationSpec says what a notification contains and where it goes.
type NotificationSpec struct {
	Attributes []string `json:"attributes,omitempty"`
	Format     string   `json:"format,omitempty"`
	Endpoint   Endpoint `json:"endpoint"`
}

// Endpoint is the receiver of notifications.
type Endpoint struct {
	URI          string     `json:"uri"`
	Accept       string     `json:"accept,omitempty"`
	ReceiverInfo []KeyValue `json:"receiverInfo,omitempty"`
	NotifierInfo []KeyValue `json:"notifierInfo,omitempty"`
}

// KeyValue is one entry of receiverInfo or notifierInfo.
type KeyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Status values of a subscription (clause 5.2.12).
const (
	StatusActive  = "active"
	StatusPaused  = "paused"
	StatusExpired = "expired"
)

// State returns active, paused or expired at time now.
func (s *Subscription) State(now time.Time) string {
	switch {
	case !s.ExpiresAt.IsZero() && !now.Before(s.ExpiresAt):
		return StatusExpired
	case !s.IsActive:
		return StatusPaused
	}
	return StatusActive
}

// NewID returns a fresh subscription id.
func NewID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "urn:ngsi-ld:Subscription:" + hex.EncodeToString(b[:])
}

func badf(format string, args ...any) *ngsild.Problem {
	return ngsild.Errorf(ngsild.ErrBadRequestData, format, args...)
}

// members a subscription may have. Read-only members (status and the
// notification counters) are accepted and ignored.
var knownMembers = map[string]bool{
	"id": true, "type": true, "subscriptionName": true, "description": true, "entities": true,
	"watchedAttributes": true, "notificationTrigger": true, "timeInterval": true, "q": true,
	"geoQ": true, "throttling": true, "expiresAt": true, "isActive": true, "notification": true,
	"status": true, "createdAt": true, "modifiedAt": true,
}

var knownNotification = map[string]bool{
	"attributes": true, "format": true, "endpoint": true, "status": true, "timesSent": true,
	"timesFailed": true, "lastNotification": true, "lastSuccess": true, "lastFailure": true,
}

var knownEndpoint = map[string]bool{"uri": true, "accept": true, "receiverInfo": true, "notifierInfo": true}

// Parse validates the JSON object of a subscription (without "@context")
// whose names c expands. ref is the context as the request gave it, kept
// to expand q and geoQ and to compact notifications. A missing id is
// generated; isActive defaults to true. Every invalid member gives a
// BadRequestData Problem that names it.
func Parse(obj map[string]any, c *jsonld.Context, ref any, now time.Time) (*Subscription, error) {
	for k := range obj {
		if !knownMembers[k] {
			return nil, badf("subscription member %q is not supported", k)
		}
	}
	s := &Subscription{IsActive: true, Context: ref}
	if t, ok := obj["type"]; !ok || t != "Subscription" {
		return nil, badf(`a subscription must have "type": "Subscription"`)
	}
	var err error
	if s.ID, err = optString(obj, "id"); err != nil {
		return nil, err
	}
	if s.ID == "" {
		s.ID = NewID()
	} else if err := ngsild.ValidateURI(s.ID); err != nil {
		return nil, badf("subscription id %q is not a URI: %v", s.ID, err)
	}
	if s.Name, err = optString(obj, "subscriptionName"); err != nil {
		return nil, err
	}
	if s.Description, err = optString(obj, "description"); err != nil {
		return nil, err
	}
	if err := s.parseEntities(obj["entities"], c); err != nil {
		return nil, err
	}
	if s.WatchedAttributes, err = nameList(obj, "watchedAttributes", c); err != nil {
		return nil, err
	}
	if v, ok := obj["notificationTrigger"]; ok {
		if s.NotificationTrigger, err = parseTriggers(v); err != nil {
			return nil, err
		}
	}
	if s.TimeInterval, err = optPositive(obj, "timeInterval"); err != nil {
		return nil, err
	}
	if s.Throttling, err = optPositive(obj, "throttling"); err != nil {
		return nil, err
	}
	if s.Q, err = optString(obj, "q"); err != nil {
		return nil, err
	}
	if s.Q != "" {
		if _, err := qlang.Parse(s.Q, c.ExpandTerm); err != nil {
			return nil, badf("q: %v", problemDetail(err))
		}
	}
	if v, ok := obj["geoQ"]; ok && v != nil {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, badf("geoQ must be an object with geometry, coordinates and georel")
		}
		if _, err := geo.ParseGeoQ(m, c.ExpandTerm); err != nil {
			return nil, badf("%v", err)
		}
		s.GeoQ = m
	}
	if v, ok := obj["expiresAt"]; ok && v != nil {
		str, ok := v.(string)
		t, err := time.Parse(time.RFC3339Nano, str)
		if !ok || err != nil {
			return nil, badf("expiresAt must be a DateTime such as 2026-12-31T23:59:59Z, not %s", jsonText(v))
		}
		if !t.After(now) {
			return nil, badf("expiresAt %s is not in the future", str)
		}
		s.ExpiresAt = t.UTC()
	}
	if v, ok := obj["isActive"]; ok {
		b, ok := v.(bool)
		if !ok {
			return nil, badf("isActive must be true or false, not %s", jsonText(v))
		}
		s.IsActive = b
	}
	if err := s.parseNotification(obj["notification"], c); err != nil {
		return nil, err
	}
	return s, s.check()
}

// check applies the rules that relate members.
func (s *Subscription) check() error {
	switch {
	case len(s.Entities) == 0 && len(s.WatchedAttributes) == 0:
		return badf("a subscription needs entities or watchedAttributes")
	case s.TimeInterval > 0 && len(s.WatchedAttributes) > 0:
		return badf("timeInterval and watchedAttributes cannot be used together")
	case s.TimeInterval > 0 && s.Throttling > 0:
		return badf("timeInterval and throttling cannot be used together")
	case s.TimeInterval > 0 && len(s.Entities) == 0:
		return badf("a periodic subscription (timeInterval) needs entities")
	}
	return nil
}

func (s *Subscription) parseEntities(v any, c *jsonld.Context) error {
	if v == nil {
		return nil
	}
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return badf("entities must be a non-empty array of {type, id or idPattern}")
	}
	for i, item := range arr {
		m, ok := item.(map[string]any)
		if !ok {
			return badf("entities[%d] must be an object", i)
		}
		var sel EntitySelector
		for k, val := range m {
			str, ok := val.(string)
			if !ok || str == "" {
				return badf("entities[%d].%s must be a non-empty string", i, k)
			}
			switch k {
			case "id":
				if err := ngsild.ValidateURI(str); err != nil {
					return badf("entities[%d].id %q is not a URI", i, str)
				}
				sel.ID = str
			case "idPattern":
				if _, err := regexp.Compile(str); err != nil {
					return badf("entities[%d].idPattern %q is not a regular expression: %v", i, str, err)
				}
				sel.IDPattern = str
			case "type":
				t, err := qlang.ParseTypes(str, c.ExpandTerm)
				if err != nil {
					return badf("entities[%d].type %q: %v", i, str, problemDetail(err))
				}
				sel.Type = t.String()
			default:
				return badf("entities[%d] member %q is not supported (use type, id, idPattern)", i, k)
			}
		}
		if sel.Type == "" {
			return badf("entities[%d] needs a type", i)
		}
		if sel.ID != "" && sel.IDPattern != "" {
			return badf("entities[%d] has both id and idPattern; give one", i)
		}
		s.Entities = append(s.Entities, sel)
	}
	return nil
}

func (s *Subscription) parseNotification(v any, c *jsonld.Context) error {
	m, ok := v.(map[string]any)
	if !ok {
		return badf("notification is required: an object with an endpoint")
	}
	for k := range m {
		if !knownNotification[k] {
			return badf("notification member %q is not supported", k)
		}
	}
	var err error
	n := &s.Notification
	if n.Attributes, err = nameList(m, "notification.attributes", c); err != nil {
		return err
	}
	if n.Format, err = optString(m, "format"); err != nil {
		return err
	}
	switch n.Format {
	case "", FormatNormalized:
		n.Format = FormatNormalized
	case FormatKeyValues, "simplified":
		n.Format = FormatKeyValues
	case FormatConcise:
	default:
		return badf("notification.format must be normalized, keyValues or concise, not %q", n.Format)
	}
	ep, ok := m["endpoint"].(map[string]any)
	if !ok {
		return badf("notification.endpoint is required: an object with a uri")
	}
	for k := range ep {
		if !knownEndpoint[k] {
			return badf("notification.endpoint member %q is not supported", k)
		}
	}
	if n.Endpoint.URI, err = optString(ep, "uri"); err != nil {
		return err
	}
	if err := checkEndpointURI(n.Endpoint.URI); err != nil {
		return err
	}
	if n.Endpoint.Accept, err = optString(ep, "accept"); err != nil {
		return err
	}
	switch n.Endpoint.Accept {
	case "":
		n.Endpoint.Accept = MediaJSON
	case MediaJSON, MediaLD:
	default:
		return badf("notification.endpoint.accept must be application/json or application/ld+json, not %q", n.Endpoint.Accept)
	}
	if n.Endpoint.ReceiverInfo, err = keyValues(ep, "receiverInfo"); err != nil {
		return err
	}
	for _, kv := range n.Endpoint.ReceiverInfo {
		if !validHeaderName(kv.Key) || strings.ContainsAny(kv.Value, "\r\n") {
			return badf("notification.endpoint.receiverInfo %q is not a valid header", kv.Key)
		}
	}
	if n.Endpoint.NotifierInfo, err = keyValues(ep, "notifierInfo"); err != nil {
		return err
	}
	for _, kv := range n.Endpoint.NotifierInfo {
		switch kv.Key {
		case "MQTT-QoS":
			if kv.Value != "0" && kv.Value != "1" && kv.Value != "2" {
				return badf("notifierInfo MQTT-QoS must be 0, 1 or 2, not %q", kv.Value)
			}
		case "MQTT-Version":
			if kv.Value != "mqtt3.1.1" {
				return badf("notifierInfo MQTT-Version %q is not supported: the notifier speaks mqtt3.1.1", kv.Value)
			}
		default:
			return badf("notifierInfo key %q is not supported (MQTT-QoS, MQTT-Version)", kv.Key)
		}
	}
	return nil
}

// checkEndpointURI accepts http(s) URLs and mqtt(s)://host[:port]/topic.
func checkEndpointURI(s string) error {
	if s == "" {
		return badf("notification.endpoint.uri is required")
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return badf("notification.endpoint.uri %q is not an absolute URL", s)
	}
	switch u.Scheme {
	case "http", "https":
	case "mqtt", "mqtts":
		if strings.Trim(u.Path, "/") == "" {
			return badf("notification.endpoint.uri %q needs a topic: mqtt://host:port/topic", s)
		}
		if strings.ContainsAny(u.Path, "#+") || strings.Contains(s, "#") {
			return badf("notification.endpoint.uri %q: an MQTT topic to publish to cannot hold wildcards", s)
		}
	default:
		return badf("notification.endpoint.uri %q: the scheme must be http, https, mqtt or mqtts", s)
	}
	return nil
}

func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if r > 126 || r <= 32 || strings.ContainsRune("()<>@,;:\\\"/[]?={}", r) {
			return false
		}
	}
	return true
}

func parseTriggers(v any) ([]string, error) {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return nil, badf("notificationTrigger must be a non-empty array of %s", strings.Join(allTriggers, ", "))
	}
	var out []string
	for _, x := range arr {
		s, ok := x.(string)
		if !ok || !slices.Contains(allTriggers, s) {
			return nil, badf("notificationTrigger %s is not one of %s", jsonText(x), strings.Join(allTriggers, ", "))
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

func optString(m map[string]any, k string) (string, error) {
	v, ok := m[k]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", badf("%s must be a string, not %s", k, jsonText(v))
	}
	return s, nil
}

func optPositive(m map[string]any, k string) (float64, error) {
	v, ok := m[k]
	if !ok || v == nil {
		return 0, nil
	}
	f, ok := ngsild.Number(v)
	if !ok || f <= 0 || f > 1e9 {
		return 0, badf("%s must be a positive number of seconds, not %s", k, jsonText(v))
	}
	return f, nil
}

// nameList reads an array of attribute names and expands them; path is the
// member's name in messages, its last part the key in m.
func nameList(m map[string]any, path string, c *jsonld.Context) ([]string, error) {
	k := path[strings.LastIndexByte(path, '.')+1:]
	v, ok := m[k]
	if !ok || v == nil {
		return nil, nil
	}
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return nil, badf("%s must be a non-empty array of attribute names", path)
	}
	var out []string
	for _, x := range arr {
		s, ok := x.(string)
		if !ok || s == "" || strings.ContainsAny(s, " \t\r\n\"'<>=;()") {
			return nil, badf("%s: %s is not an attribute name", path, jsonText(x))
		}
		if e := c.ExpandTerm(s); !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

func keyValues(m map[string]any, k string) ([]KeyValue, error) {
	v, ok := m[k]
	if !ok || v == nil {
		return nil, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, badf("notification.endpoint.%s must be an array of {key, value}", k)
	}
	var out []KeyValue
	for i, x := range arr {
		o, ok := x.(map[string]any)
		key, ok1 := o["key"].(string)
		val, ok2 := o["value"].(string)
		if !ok || !ok1 || !ok2 || key == "" || len(o) != 2 {
			return nil, badf("notification.endpoint.%s[%d] must be {\"key\": string, \"value\": string}", k, i)
		}
		out = append(out, KeyValue{Key: key, Value: val})
	}
	return out, nil
}

func problemDetail(err error) string {
	var p *ngsild.Problem
	if errors.As(err, &p) && p.Detail != "" {
		return p.Detail
	}
	return err.Error()
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
