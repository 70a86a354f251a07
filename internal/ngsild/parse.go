package ngsild

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dothi-city/dothi/internal/geo"
)

// NullURI is the NGSI-LD Null: as an attribute value in a merge it deletes
// the attribute (or sub-attribute, or member of a JSON object value).
const NullURI = "urn:ngsi-ld:null"

// MaxAttrDepth is how deeply sub-attributes may nest (an attribute of an
// entity is at depth 1).
const MaxAttrDepth = 8

// MaxIDLen is the longest URI (entity id, datasetId, Relationship object)
// accepted, in bytes.
const MaxIDLen = 2048

// MaxNameLen is the longest attribute or entity type name accepted, in
// bytes, as written in the request.
const MaxNameLen = 512

// parseMode tells how strictly attributes are checked.
type parseMode int

const (
	// modeFull requires complete attributes (entities).
	modeFull parseMode = iota
	// modePartial lets an attribute omit its type and value (fragments);
	// JSON null becomes NGSI-LD Null.
	modePartial
)

// parser carries the per-call parse settings.
type parser struct {
	expand func(string) string
	now    time.Time
	mode   parseMode
}

// members of an attribute object that are not sub-attributes.
var attrKeywords = map[string]bool{
	"type": true, "value": true, "object": true, "languageMap": true,
	"datasetId": true, "observedAt": true, "unitCode": true,
	"createdAt": true, "modifiedAt": true, "lang": true,
	"instanceId": true, "deletedAt": true, "objectType": true,
}

// isAttrKeyword reports attrKeywords[k] without a map lookup.
func isAttrKeyword(k string) bool {
	switch k {
	case "type", "value", "object", "languageMap",
		"datasetId", "observedAt", "unitCode",
		"createdAt", "modifiedAt", "lang",
		"instanceId", "deletedAt", "objectType":
		return true
	}
	return false
}

// isReservedTerm reports whether an attribute name as written is a JSON-LD
// keyword or the name of an NGSI-LD member of entities or attributes.
func isReservedTerm(k string) bool {
	if k != "" && k[0] == '@' {
		return true
	}
	switch k {
	case "id", "type", "scope", "createdAt", "modifiedAt", "deletedAt",
		"observedAt", "unitCode", "datasetId", "instanceId", "lang",
		"value", "object", "languageMap", "objectType",
		"vocab", "json", "valueList", "objectList":
		return true
	}
	return false
}

// isReservedIRI reports whether an expanded attribute name is a JSON-LD
// keyword or the IRI of an NGSI-LD member of entities or attributes, which
// would be rendered under the member's name.
func isReservedIRI(iri string) bool {
	if iri != "" && iri[0] == '@' {
		return true
	}
	if len(iri) <= len(CoreNS) || iri[:len(CoreNS)] != CoreNS {
		return false
	}
	switch iri[len(CoreNS):] {
	case "createdAt", "modifiedAt", "deletedAt", "observedAt", "unitCode",
		"datasetId", "instanceId", "scope", "lang",
		"hasValue", "hasObject", "hasLanguageMap", "hasObjectType",
		"hasVocab", "hasJSON", "hasValueList", "hasObjectList":
		return true
	}
	return false
}

// IRIObjectType is the expanded name under which the objectType of a
// Relationship is kept in Attribute.Sub, as a Property whose value is the
// expanded type (a string) or types ([]any of strings). Attribute names
// that expand to it are rejected, so it never holds a user sub-attribute.
const IRIObjectType = CoreNS + "hasObjectType"

// unsupportedTypes are NGSI-LD attribute types the broker does not support
// yet, with the member that marks each in concise form.
var unsupportedTypes = [...]struct{ typ, member string }{
	{"VocabProperty", "vocab"}, {"JsonProperty", "json"},
	{"ListProperty", "valueList"}, {"ListRelationship", "objectList"},
}

// geoPropertyNames are the GeoProperties known without an explicit type.
var geoPropertyNames = map[string]bool{
	IRILocation: true, IRIObservationSpace: true, IRIOperationSpace: true,
}

// geoJSONTypes are the GeoJSON geometry types that make a bare concise value
// a GeoProperty.
var geoJSONTypes = map[string]bool{
	"Point": true, "MultiPoint": true, "LineString": true, "MultiLineString": true,
	"Polygon": true, "MultiPolygon": true, "GeometryCollection": true,
}

// ParseEntity parses an entity in normalized or concise representation.
// m is the request body decoded with UseNumber, expand maps a term to its
// IRI under the request's @context, and now stamps createdAt/modifiedAt.
//
// In concise form an attribute's type is inferred: a bare value or
// {"value": …} is a Property (a GeoProperty for location,
// observationSpace and operationSpace), {"object": …} a Relationship,
// {"languageMap": …} a LanguageProperty, and a GeoJSON geometry object a
// GeoProperty. An array of objects is a multi-attribute (one instance per
// datasetId). Input createdAt/modifiedAt and "@context" are ignored;
// "scope" is not supported.
//
// Errors are BadRequestData Problems that name the offending member.
func ParseEntity(m map[string]any, expand func(term string) string, now time.Time) (*Entity, error) {
	p := &parser{expand: expand, now: now, mode: modeFull}
	return p.entity(m, true)
}

// ParseFragment parses an entity fragment: the body of an append, update,
// merge, partial update or replace of attributes. id and type are optional
// (checked when present). Attributes may be partial: an attribute may omit
// its type and value so that only the members given are merged, and null
// (also for a language of a languageMap, unitCode and observedAt) becomes
// NGSI-LD Null. An attribute object without a type keeps the type of the
// existing attribute: its "value" is left untyped and the update functions
// resolve it (a GeoJSON geometry for a GeoProperty, a Property when there
// is no attribute yet). The update functions check that an attribute they
// add or replace whole is complete.
func ParseFragment(m map[string]any, expand func(term string) string, now time.Time) (*Entity, error) {
	p := &parser{expand: expand, now: now, mode: modePartial}
	return p.entity(m, false)
}

func (p *parser) entity(m map[string]any, full bool) (*Entity, error) {
	e := &Entity{CreatedAt: p.now, ModifiedAt: p.now, Attrs: make(map[string][]*Attribute, len(m))}
	if err := p.header(e, m, full); err != nil {
		return nil, err
	}
	var buf [32]string
	for _, k := range appendSortedKeys(buf[:0], m) {
		switch k {
		case "id", "type", "@context", "createdAt", "modifiedAt", "deletedAt":
			continue
		case "scope":
			return nil, badData("scope is not supported")
		}
		name := p.expand(k)
		if err := checkAttrName(k, name); err != nil {
			return nil, err
		}
		if _, dup := e.Attrs[name]; dup {
			return nil, badData("attribute %q given twice (as %q)", name, k)
		}
		list, err := p.instances(m[k], name, k, 1)
		if err != nil {
			return nil, err
		}
		e.Attrs[name] = list
	}
	return e, nil
}

// header parses id and type; full requires both.
func (p *parser) header(e *Entity, m map[string]any, full bool) error {
	if v, ok := m["id"]; ok {
		s, ok := v.(string)
		if !ok {
			return badData("entity id must be a string")
		}
		if err := uriError(s); err != nil {
			return badData("entity id %s is not an absolute URI: %v", quoteShort(s), err)
		}
		e.ID = s
	} else if full {
		return badData("entity id is missing")
	}
	if v, ok := m["type"]; ok {
		types, err := p.types(v)
		if err != nil {
			return err
		}
		e.Types = types
	} else if full {
		return badData("entity type is missing")
	}
	return nil
}

// types parses the entity "type" member: a string or an array of strings.
func (p *parser) types(v any) ([]string, error) {
	var terms []string
	switch x := v.(type) {
	case string:
		if err := checkTypeName(x); err != nil {
			return nil, err
		}
		return []string{p.expand(x)}, nil
	case []any:
		for _, t := range x {
			s, ok := t.(string)
			if !ok {
				return nil, badData("entity type must be a string or an array of strings")
			}
			terms = append(terms, s)
		}
	default:
		return nil, badData("entity type must be a string or an array of strings")
	}
	if len(terms) == 0 {
		return nil, badData("entity type is empty")
	}
	out := make([]string, 0, len(terms))
	seen := map[string]bool{}
	for _, t := range terms {
		if err := checkTypeName(t); err != nil {
			return nil, err
		}
		iri := p.expand(t)
		if !seen[iri] {
			seen[iri] = true
			out = append(out, iri)
		}
	}
	return out, nil
}

// instances parses the value of an attribute member: one instance or an
// array of instances (a multi-attribute).
func (p *parser) instances(v any, name, term string, depth int) ([]*Attribute, error) {
	if depth > MaxAttrDepth {
		return nil, badData("attribute %q: sub-attributes nest deeper than %d levels", term, MaxAttrDepth)
	}
	arr, ok := v.([]any)
	if !ok || !allObjects(arr) {
		box := &attrBox{}
		box.list[0] = &box.a
		if err := p.attributeInto(&box.a, v, name, term, depth); err != nil {
			return nil, err
		}
		return box.list[:], nil
	}
	list := make([]*Attribute, 0, len(arr))
	seen := map[string]bool{}
	for _, item := range arr {
		a, err := p.attribute(item, name, term, depth)
		if err != nil {
			return nil, err
		}
		if seen[a.DatasetID] {
			return nil, badData("attribute %q: %s given twice", term, describeDataset(a.DatasetID))
		}
		seen[a.DatasetID] = true
		list = append(list, a)
	}
	return list, nil
}

// allObjects reports whether arr is a non-empty array of JSON objects,
// which is how a multi-attribute is written.
func allObjects(arr []any) bool {
	if len(arr) == 0 {
		return false
	}
	for _, x := range arr {
		if _, ok := x.(map[string]any); !ok {
			return false
		}
	}
	return true
}

// attrBox holds a single attribute instance and the list that holds it,
// allocated together.
type attrBox struct {
	list [1]*Attribute
	a    Attribute
}

// attribute parses one attribute instance in normalized or concise form.
func (p *parser) attribute(v any, name, term string, depth int) (*Attribute, error) {
	a := &Attribute{}
	if err := p.attributeInto(a, v, name, term, depth); err != nil {
		return nil, err
	}
	return a, nil
}

// attributeInto parses one attribute instance into a.
func (p *parser) attributeInto(a *Attribute, v any, name, term string, depth int) error {
	a.CreatedAt, a.ModifiedAt = p.now, p.now
	obj, ok := v.(map[string]any)
	if !ok {
		_, err := p.bareValue(a, v, term)
		return err
	}
	typ, err := p.attrType(obj, name, term)
	if err != nil {
		return err
	}
	a.Type = typ
	if typ == TypeGeoProperty && isBareGeometry(obj) {
		return p.setGeometry(a, obj, term)
	}
	if err := p.mainValue(a, obj, term); err != nil {
		return err
	}
	if err := p.metadata(a, obj, term); err != nil {
		return err
	}
	if err := p.subAttrs(a, obj, term, depth); err != nil {
		return err
	}
	if v, ok := obj["objectType"]; ok {
		return p.objectType(a, v, term)
	}
	return nil
}

// objectType keeps the objectType member of a Relationship (an entity type
// name or an array of them) in a.Sub under IRIObjectType.
func (p *parser) objectType(a *Attribute, v any, term string) error {
	if a.Type != TypeRelationship && !(a.Type == "" && p.mode == modePartial) {
		return badData("attribute %q: objectType is only allowed on a Relationship", term)
	}
	var val any
	switch x := v.(type) {
	case string:
		if err := checkTypeName(x); err != nil {
			return badData("attribute %q: objectType: %s", term, err.Detail)
		}
		val = p.expand(x)
	case []any:
		if len(x) == 0 {
			return badData("attribute %q: objectType must not be empty", term)
		}
		types := make([]any, len(x))
		for i, t := range x {
			s, ok := t.(string)
			if !ok {
				return badData("attribute %q: objectType must be a type name or an array of type names, not %s", term, jsonText(v))
			}
			if err := checkTypeName(s); err != nil {
				return badData("attribute %q: objectType: %s", term, err.Detail)
			}
			types[i] = p.expand(s)
		}
		val = types
	default:
		return badData("attribute %q: objectType must be a type name or an array of type names, not %s", term, jsonText(v))
	}
	if a.Sub == nil {
		a.Sub = map[string][]*Attribute{}
	}
	a.Sub[IRIObjectType] = []*Attribute{{Type: TypeProperty, Value: val, CreatedAt: p.now, ModifiedAt: p.now}}
	return nil
}

// bareValue handles a concise attribute written as its value alone.
func (p *parser) bareValue(a *Attribute, v any, term string) (*Attribute, error) {
	if v == nil {
		if p.mode == modePartial {
			a.Type, a.Value = TypeProperty, NullURI
			return a, nil
		}
		return nil, badData("attribute %q: a Property value must not be null", term)
	}
	if err := checkNumbers(v, term); err != nil {
		return nil, err
	}
	a.Type, a.Value = TypeProperty, v
	return a, nil
}

// attrType determines the attribute type, inferring it in concise form.
func (p *parser) attrType(obj map[string]any, name, term string) (string, error) {
	if t, ok := obj["type"]; ok {
		s, _ := t.(string)
		switch s {
		case TypeProperty, TypeRelationship, TypeGeoProperty, TypeLanguageProperty:
			return s, nil
		}
		if geoJSONTypes[s] {
			return TypeGeoProperty, nil
		}
		for _, u := range unsupportedTypes {
			if s == u.typ {
				return "", badData("attribute %q: %s is not supported yet", term, s)
			}
		}
		return "", badData("attribute %q: type must be Property, Relationship, GeoProperty or LanguageProperty, not %s", term, jsonText(t))
	}
	switch {
	case hasKey(obj, "object"):
		return TypeRelationship, nil
	case hasKey(obj, "languageMap"):
		return TypeLanguageProperty, nil
	case obj["value"] != nil && geoPropertyNames[name]:
		return TypeGeoProperty, nil
	}
	for _, u := range unsupportedTypes {
		if hasKey(obj, u.member) {
			return "", badData("attribute %q: %s (an attribute with %s) is not supported yet", term, u.typ, u.member)
		}
	}
	if p.mode == modeFull {
		return TypeProperty, nil
	}
	// Partial: the type is left to the existing attribute (a Property when
	// there is none), so that a new value for a GeoProperty stays one.
	return "", nil
}

// isBareGeometry reports whether obj is a GeoJSON geometry itself rather
// than a GeoProperty object.
func isBareGeometry(obj map[string]any) bool {
	t, _ := obj["type"].(string)
	return geoJSONTypes[t]
}

// mainValue sets value, object or languageMap according to the type.
func (p *parser) mainValue(a *Attribute, obj map[string]any, term string) error {
	switch a.Type {
	case TypeProperty, "":
		return p.propertyValue(a, obj, term)
	case TypeRelationship:
		return p.relationshipObject(a, obj, term)
	case TypeGeoProperty:
		return p.geoValue(a, obj, term)
	default:
		return p.languageMap(a, obj, term)
	}
}

func (p *parser) propertyValue(a *Attribute, obj map[string]any, term string) error {
	v, ok := obj["value"]
	switch {
	case ok && v != nil:
		if err := checkNumbers(v, term); err != nil {
			return err
		}
		a.Value = v
	case ok && p.mode == modePartial:
		a.Value = NullURI
	case ok:
		return badData("attribute %q: a Property value must not be null", term)
	case p.mode == modeFull:
		return badData("attribute %q: a Property must have a value", term)
	}
	return nil
}

func (p *parser) relationshipObject(a *Attribute, obj map[string]any, term string) error {
	v, ok := obj["object"]
	switch {
	case !ok && p.mode == modePartial:
		return nil
	case v == nil && ok && p.mode == modePartial:
		a.Object = NullURI
		return nil
	case v == nil:
		return badData("attribute %q: a Relationship must have an object", term)
	}
	s, isStr := v.(string)
	if !isStr {
		return badData("attribute %q: a Relationship object must be a URI, not %s", term, jsonText(v))
	}
	if err := uriError(s); err != nil {
		return badData("attribute %q: a Relationship object must be a URI, not %s (%v)", term, jsonText(v), err)
	}
	a.Object = s
	return nil
}

func (p *parser) geoValue(a *Attribute, obj map[string]any, term string) error {
	v, ok := obj["value"]
	switch {
	case ok && v != nil:
	case p.mode == modePartial && ok:
		a.Value = NullURI
		return nil
	case p.mode == modePartial:
		return nil
	default:
		return badData("attribute %q: a GeoProperty must have a GeoJSON geometry value", term)
	}
	if s, isStr := v.(string); isStr && s == NullURI && p.mode == modePartial {
		a.Value = NullURI
		return nil
	}
	return p.setGeometry(a, v, term)
}

// setGeometry validates a GeoJSON geometry with geo.Parse.
func (p *parser) setGeometry(a *Attribute, v any, term string) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return badData("attribute %q: a GeoProperty value must be a GeoJSON geometry object, not %s", term, jsonText(v))
	}
	if _, ok := obj["type"].(string); !ok {
		return badData("attribute %q: GeoJSON geometry has no type", term)
	}
	raw, ok := appendJSON(make([]byte, 0, 64), obj)
	if !ok {
		var err error
		if raw, err = json.Marshal(obj); err != nil {
			return badData("attribute %q: invalid GeoJSON geometry", term)
		}
	}
	g, err := geo.Parse(raw)
	if err != nil {
		return badData("attribute %q: invalid GeoJSON geometry: %v", term, err)
	}
	a.Geometry = g
	return nil
}

func (p *parser) languageMap(a *Attribute, obj map[string]any, term string) error {
	v, ok := obj["languageMap"]
	if !ok && p.mode == modePartial {
		return nil
	}
	if v == nil && ok && p.mode == modePartial {
		a.LanguageMap = map[string]string{"@none": NullURI}
		return nil
	}
	m, isObj := v.(map[string]any)
	if !isObj || len(m) == 0 {
		return badData("attribute %q: a LanguageProperty must have a non-empty languageMap object", term)
	}
	a.LanguageMap = make(map[string]string, len(m))
	for lang, text := range m {
		if text == nil && p.mode == modePartial {
			text = NullURI // NGSI-LD Null: the merge deletes this language
		}
		s, isStr := text.(string)
		if !isStr {
			return badData("attribute %q: languageMap value for %q must be a string", term, lang)
		}
		if lang == "" {
			return badData("attribute %q: languageMap has an empty language tag", term)
		}
		a.LanguageMap[lang] = s
	}
	return nil
}

// metadata parses datasetId, observedAt and unitCode.
func (p *parser) metadata(a *Attribute, obj map[string]any, term string) error {
	if v, ok := obj["datasetId"]; ok {
		s, isStr := v.(string)
		if !isStr || !isURI(s) {
			return badData("attribute %q: datasetId must be a URI, not %s", term, jsonText(v))
		}
		a.DatasetID = s
	}
	if v, ok := obj["observedAt"]; ok && p.mode == modePartial && (v == nil || v == NullURI) {
		a.nullObservedAt = true // NGSI-LD Null: the merge deletes observedAt
	} else if ok {
		t, err := parseDateTime(v)
		if err != nil {
			return badData("attribute %q: observedAt must be an ISO 8601 date-time in UTC or with an offset, not %s", term, jsonText(v))
		}
		a.ObservedAt = t
	}
	if v, ok := obj["unitCode"]; ok {
		if v == nil && p.mode == modePartial {
			v = NullURI // NGSI-LD Null: the merge deletes unitCode
		}
		s, isStr := v.(string)
		if !isStr || s == "" {
			return badData("attribute %q: unitCode must be a non-empty string, not %s", term, jsonText(v))
		}
		a.UnitCode = s
	}
	return nil
}

// subAttrs parses every non-keyword member as a sub-attribute.
func (p *parser) subAttrs(a *Attribute, obj map[string]any, term string, depth int) error {
	var buf [16]string
	for _, k := range appendSortedKeys(buf[:0], obj) {
		if isAttrKeyword(k) {
			continue
		}
		name := p.expand(k)
		if err := checkAttrName(k, name); err != nil {
			return badData("attribute %q: sub-%s", term, err.Detail)
		}
		if _, dup := a.Sub[name]; dup {
			return badData("attribute %q: sub-attribute %q given twice", term, name)
		}
		list, err := p.instances(obj[k], name, term+"."+k, depth+1)
		if err != nil {
			return err
		}
		if a.Sub == nil {
			a.Sub = map[string][]*Attribute{}
		}
		a.Sub[name] = list
	}
	return nil
}

// parseDateTime parses an ISO 8601 date-time with "Z" or a UTC offset.
func parseDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("not a string")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	t = t.UTC()
	if t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}, fmt.Errorf("year out of range")
	}
	return t, nil
}

// ValidateURI checks that s is an absolute URI (RFC 3986) of at most
// MaxIDLen bytes: a scheme (a letter followed by letters, digits, "+", "-"
// or "."), a colon and a non-empty rest, without the characters a URI
// cannot hold (space, control characters, <, >, ", {, }, |, \, ^ and `;
// non-ASCII letters are allowed, as in IRIs). It is the one check of entity
// ids, datasetIds and Relationship objects.
func ValidateURI(s string) error {
	return uriError(s)
}

var (
	errNotURI  = errors.New("it is not of the form scheme:rest")
	errURILong = fmt.Errorf("it is longer than %d bytes", MaxIDLen)
)

// isURI reports whether ValidateURI accepts s.
func isURI(s string) bool { return uriError(s) == nil }

// uriError returns why s is not a URI that ValidateURI accepts, or nil. It
// does not allocate when s is valid.
func uriError(s string) error {
	if len(s) > MaxIDLen {
		return errURILong
	}
	i := strings.IndexByte(s, ':')
	if i < 1 || i == len(s)-1 {
		return errNotURI
	}
	for j := 0; j < i; j++ {
		c := s[j]
		isAlpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !isAlpha && (j == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return errNotURI
		}
	}
	for j := 0; j < len(s); j++ {
		c := s[j]
		if c < utf8.RuneSelf {
			if uriForbiddenASCII[c] {
				return fmt.Errorf("it contains %q, which a URI cannot hold", s[j:j+1])
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[j:])
		if r == utf8.RuneError && size == 1 {
			return errors.New("it is not valid UTF-8")
		}
		if r <= 0x9f { // C1 control characters
			return fmt.Errorf("it contains %q, which a URI cannot hold", r)
		}
		j += size - 1
	}
	return nil
}

// uriForbiddenASCII marks the ASCII characters that RFC 3986 allows
// nowhere in a URI: controls, space, and <>"{}|\^`.
var uriForbiddenASCII = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = c <= ' ' || c == 0x7f || strings.IndexByte("<>\"{}|\\^`", byte(c)) >= 0
	}
	return t
}()

// quoteShort quotes s for an error message, shortened when long.
func quoteShort(s string) string {
	if len(s) > 80 {
		return strconv.Quote(s[:60]) + fmt.Sprintf("... (%d bytes)", len(s))
	}
	return strconv.Quote(s)
}

// checkAttrName rejects an attribute (or sub-attribute) name k, which
// expands to iri: empty, too long, with a character the spec forbids in
// names, or reserved (a JSON-LD keyword or an NGSI-LD member name, as
// written or after expansion), which would be rendered as a duplicate id,
// type or other member. It does not allocate when the name is valid.
func checkAttrName(k, iri string) *Problem {
	switch {
	case k == "":
		return badData("attribute name must not be empty")
	case len(k) > MaxNameLen:
		return badData("attribute name %s is longer than %d bytes", quoteShort(k), MaxNameLen)
	case isReservedTerm(k):
		return badData("attribute name %q is reserved: it is a JSON-LD keyword or an NGSI-LD member name", k)
	case isReservedIRI(iri):
		return badData("attribute name %q expands to %q, which is reserved: a JSON-LD keyword or an NGSI-LD member name", k, iri)
	}
	if i := indexForbidden(k); i >= 0 {
		return badData("attribute name %q contains the forbidden character %q", k, k[i:i+1])
	}
	return nil
}

// checkTypeName rejects entity type names that are empty, too long or
// contain a character the spec forbids in names.
func checkTypeName(t string) *Problem {
	if t == "" {
		return badData("entity type must not be empty")
	}
	if len(t) > MaxNameLen {
		return badData("entity type %s is longer than %d bytes", quoteShort(t), MaxNameLen)
	}
	if i := indexForbidden(t); i >= 0 {
		return badData("entity type %q contains the forbidden character %q", t, t[i:i+1])
	}
	return nil
}

// checkNumbers rejects a value holding a JSON number outside the range of
// a float64 (such as 1e400), which clients and q could not handle.
func checkNumbers(v any, term string) *Problem {
	if n, bad := numberOutOfRange(v); bad {
		return badData("attribute %q: the number %s is outside the range of a 64-bit float", term, quoteShort(string(n)))
	}
	return nil
}

// numberOutOfRange returns the first JSON number in v that overflows a
// float64.
func numberOutOfRange(v any) (json.Number, bool) {
	switch x := v.(type) {
	case json.Number:
		if !numberInRange(x) {
			return x, true
		}
	case []any:
		for _, e := range x {
			if n, bad := numberOutOfRange(e); bad {
				return n, true
			}
		}
	case map[string]any:
		for _, e := range x {
			if n, bad := numberOutOfRange(e); bad {
				return n, true
			}
		}
	}
	return "", false
}

// numberInRange reports whether the JSON number n is within the range of a
// float64 (underflow to zero is fine). Without an exponent, a number needs
// more than 308 digits to overflow, so short ones are not converted.
func numberInRange(n json.Number) bool {
	s := string(n)
	if len(s) <= 300 {
		exp := false
		for i := 0; i < len(s); i++ {
			if s[i] == 'e' || s[i] == 'E' {
				exp = true
				break
			}
		}
		if !exp {
			return true
		}
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// indexForbidden is strings.IndexFunc(s, forbiddenRune), with a fast path
// for ASCII.
func indexForbidden(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return strings.IndexFunc(s, forbiddenRune)
		}
		if forbiddenASCII[c] {
			return i
		}
	}
	return -1
}

// forbiddenASCII marks the ASCII characters forbiddenRune rejects.
var forbiddenASCII = func() (t [0x80]bool) {
	for c := range t {
		t[c] = forbiddenRune(rune(c))
	}
	return t
}()

func forbiddenRune(r rune) bool {
	return strings.ContainsRune(`<>"'=;()`, r) || r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f
}

func badData(format string, args ...any) *Problem {
	return Errorf(ErrBadRequestData, format, args...)
}

func describeDataset(id string) string {
	if id == "" {
		return "the default instance (no datasetId)"
	}
	return fmt.Sprintf("datasetId %q", id)
}

// jsonText renders a decoded JSON value for an error message, shortened.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	if len(b) > 60 {
		return string(b[:57]) + "..."
	}
	return string(b)
}

func hasKey(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}

// appendSortedKeys appends the keys of m to keys, sorted. With a keys
// buffer on the caller's stack it does not allocate for small maps.
func appendSortedKeys[V any](keys []string, m map[string]V) []string {
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
