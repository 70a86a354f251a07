package ngsild

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Format is an entity representation (ETSI GS CIM 009 clause 4.5).
type Format int

// The representations an entity can be rendered in.
const (
	// Normalized is the full, lossless representation.
	Normalized Format = iota
	// Concise omits attribute types and wraps values only when needed; it
	// is lossless.
	Concise
	// KeyValues (simplified) keeps only the values of attributes; the
	// instances of a multi-attribute become an array of values.
	KeyValues
)

// timeLayout is how NGSI-LD timestamps are rendered: UTC, milliseconds.
const timeLayout = "2006-01-02T15:04:05.000Z"

// RenderOptions say how to render entities.
type RenderOptions struct {
	Format Format
	// SysAttrs adds createdAt and modifiedAt.
	SysAttrs bool
	// Lang picks one language of LanguageProperties, rendered as a Property
	// with a "lang" member. A comma-separated list of tags with optional
	// ";q=" weights; "" or "*" keeps the whole languageMap.
	Lang string
	// Attrs lists the expanded attribute names to keep; empty keeps all.
	Attrs []string
	// Compact maps an expanded IRI to its term; nil leaves IRIs as they are.
	Compact func(iri string) string
	// Context, when non-nil, is emitted as the last member, "@context".
	Context any
}

// FormatTime renders t the way NGSI-LD timestamps are rendered.
func FormatTime(t time.Time) string {
	return t.UTC().Format(timeLayout)
}

// Render returns the JSON form of e in the requested representation.
// Members come in a fixed order: id, type, system attributes, attributes
// sorted by compacted name, then @context.
func Render(e *Entity, o RenderOptions) []byte {
	var buf bytes.Buffer
	AppendEntity(&buf, e, o)
	return buf.Bytes()
}

// RenderEntities returns a JSON array of the rendered entities.
func RenderEntities(list []*Entity, o RenderOptions) []byte {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, e := range list {
		if i > 0 {
			buf.WriteByte(',')
		}
		AppendEntity(&buf, e, o)
	}
	buf.WriteByte(']')
	return buf.Bytes()
}

// AppendEntity writes the JSON form of e to buf.
func AppendEntity(buf *bytes.Buffer, e *Entity, o RenderOptions) {
	w := newWriter(buf, o)
	ob := w.open()
	ob.key("id")
	w.str(e.ID)
	ob.key("type")
	w.types(e.Types)
	w.entityBody(&ob, e)
	w.context(&ob, o.Context)
	ob.close()
}

// RenderGeoJSON returns the entities as a GeoJSON FeatureCollection (clause
// 4.5.17). geometryProperty is the expanded name of the GeoProperty used as
// each feature's geometry ("" means location); the other attributes go to
// "properties" in the requested representation.
func RenderGeoJSON(list []*Entity, o RenderOptions, geometryProperty string) []byte {
	var buf bytes.Buffer
	w := newWriter(&buf, o)
	ob := w.open()
	ob.key("type")
	w.str("FeatureCollection")
	ob.key("features")
	buf.WriteByte('[')
	for i, e := range list {
		if i > 0 {
			buf.WriteByte(',')
		}
		w.feature(e, geometryProperty, nil)
	}
	buf.WriteByte(']')
	w.context(&ob, o.Context)
	ob.close()
	return buf.Bytes()
}

// RenderGeoJSONFeature returns one entity as a GeoJSON Feature, with
// o.Context as its "@context" when non-nil.
func RenderGeoJSONFeature(e *Entity, o RenderOptions, geometryProperty string) []byte {
	var buf bytes.Buffer
	newWriter(&buf, o).feature(e, geometryProperty, o.Context)
	return buf.Bytes()
}

// writer renders entities into a buffer.
type writer struct {
	buf     *bytes.Buffer
	o       RenderOptions
	compact func(string) string
	langs   []string
	keep    map[string]bool
}

func newWriter(buf *bytes.Buffer, o RenderOptions) *writer {
	w := &writer{buf: buf, o: o, compact: o.Compact, langs: parseLang(o.Lang)}
	if w.compact == nil {
		w.compact = func(s string) string { return s }
	}
	if len(o.Attrs) > 0 {
		w.keep = make(map[string]bool, len(o.Attrs))
		for _, a := range o.Attrs {
			w.keep[a] = true
		}
	}
	return w
}

// object writes the members of one JSON object, adding commas.
type object struct {
	w *writer
	n int
}

func (w *writer) open() object {
	w.buf.WriteByte('{')
	return object{w: w}
}

func (ob *object) key(k string) {
	if ob.n > 0 {
		ob.w.buf.WriteByte(',')
	}
	ob.n++
	ob.w.str(k)
	ob.w.buf.WriteByte(':')
}

func (ob *object) close() { ob.w.buf.WriteByte('}') }

func (w *writer) feature(e *Entity, geometryProperty string, ctx any) {
	if geometryProperty == "" {
		geometryProperty = IRILocation
	}
	ob := w.open()
	ob.key("id")
	w.str(e.ID)
	ob.key("type")
	w.str("Feature")
	ob.key("geometry")
	if a := e.Attr(geometryProperty); a != nil && a.Type == TypeGeoProperty && a.Geometry != nil {
		w.geometry(a)
	} else {
		w.buf.WriteString("null")
	}
	ob.key("properties")
	props := w.open()
	props.key("type")
	w.types(e.Types)
	w.entityBody(&props, e)
	props.close()
	w.context(&ob, ctx)
	ob.close()
}

// entityBody writes the system attributes and the attributes of e.
func (w *writer) entityBody(ob *object, e *Entity) {
	if w.o.SysAttrs {
		w.sysAttrs(ob, e.CreatedAt, e.ModifiedAt)
	}
	for _, n := range w.sortedNames(e.Attrs, true) {
		ob.key(n.term)
		w.attrList(e.Attrs[n.iri], n.iri)
	}
}

func (w *writer) context(ob *object, ctx any) {
	if ctx == nil {
		return
	}
	ob.key("@context")
	w.value(ctx)
}

func (w *writer) sysAttrs(ob *object, created, modified time.Time) {
	if !created.IsZero() {
		ob.key("createdAt")
		w.time(created)
	}
	if !modified.IsZero() {
		ob.key("modifiedAt")
		w.time(modified)
	}
}

// time writes t as an NGSI-LD timestamp string without allocating.
func (w *writer) time(t time.Time) {
	var tmp [40]byte
	w.buf.Write(appendTimestamp(tmp[:0], t))
}

// appendTimestamp appends t formatted with timeLayout, quoted. It is
// t.UTC().AppendFormat(timeLayout) written out for the years 0 to 9999.
func appendTimestamp(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		b = append(b, '"')
		b = t.AppendFormat(b, timeLayout)
		return append(b, '"')
	}
	hour, min, sec := t.Clock()
	ms := t.Nanosecond() / 1e6
	b = append(b, '"',
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-',
		byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':',
		byte('0'+min/10), byte('0'+min%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), '.',
		byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z', '"')
	return b
}

func (w *writer) types(types []string) {
	if len(types) == 1 {
		w.str(w.compact(types[0]))
		return
	}
	w.buf.WriteByte('[')
	for i, t := range types {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		w.str(w.compact(t))
	}
	w.buf.WriteByte(']')
}

type attrName struct{ iri, term string }

// sortedNames returns the (projected, when top) names of m, sorted by term.
func (w *writer) sortedNames(m map[string][]*Attribute, top bool) []attrName {
	names := make([]attrName, 0, len(m))
	for iri, list := range m {
		if len(list) == 0 || top && w.keep != nil && !w.keep[iri] {
			continue
		}
		names = append(names, attrName{iri, w.compact(iri)})
	}
	slices.SortFunc(names, func(x, y attrName) int { return strings.Compare(x.term, y.term) })
	return names
}

// attrList writes the instances of one attribute: a single instance alone,
// several as an array.
func (w *writer) attrList(list []*Attribute, name string) {
	if w.o.Format == KeyValues {
		w.keyValuesList(list)
		return
	}
	if len(list) == 1 {
		w.attr(list[0], name, false)
		return
	}
	w.buf.WriteByte('[')
	for i, a := range sortedInstances(list) {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		w.attr(a, name, true)
	}
	w.buf.WriteByte(']')
}

// sortedInstances orders instances: the default first, then by datasetId.
func sortedInstances(list []*Attribute) []*Attribute {
	out := append([]*Attribute(nil), list...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].DatasetID < out[j].DatasetID })
	return out
}

func (w *writer) keyValuesList(list []*Attribute) {
	if len(list) == 1 {
		w.keyValue(list[0])
		return
	}
	w.buf.WriteByte('[')
	for i, a := range sortedInstances(list) {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		w.keyValue(a)
	}
	w.buf.WriteByte(']')
}

// keyValue writes the simplified form of an instance: just its value.
func (w *writer) keyValue(a *Attribute) {
	switch a.Type {
	case TypeRelationship:
		w.str(a.Object)
	case TypeGeoProperty:
		w.geometry(a)
	case TypeLanguageProperty:
		// As the simplified representation has it: {"languageMap": {...}},
		// which cannot be mistaken for an object-valued Property; the
		// text alone when lang picks a language.
		if _, text, ok := w.pick(a.LanguageMap); ok {
			w.str(text)
		} else {
			ob := w.open()
			ob.key("languageMap")
			w.stringMap(a.LanguageMap)
			ob.close()
		}
	default:
		w.value(a.Value)
	}
}

// attr writes one instance in normalized or concise form. inArray forces
// the object form in concise output.
func (w *writer) attr(a *Attribute, name string, inArray bool) {
	concise := w.o.Format == Concise
	if concise && !inArray && w.bare(a) {
		if a.Type == TypeGeoProperty {
			w.geometry(a)
		} else {
			w.value(a.Value)
		}
		return
	}
	ob := w.open()
	if !concise || w.needsType(a, name) {
		ob.key("type")
		w.str(w.outputType(a))
	}
	w.mainValue(&ob, a)
	w.attrMeta(&ob, a)
	for _, n := range w.sortedNames(a.Sub, false) {
		if n.iri == IRIObjectType {
			continue // rendered by mainValue
		}
		ob.key(n.term)
		w.attrList(a.Sub[n.iri], n.iri)
	}
	ob.close()
}

// bare reports whether a concise instance can be written as its value
// alone: a scalar Property or a GeoProperty geometry, with no other member.
func (w *writer) bare(a *Attribute) bool {
	if len(a.Sub) > 0 || a.DatasetID != "" || !a.ObservedAt.IsZero() || a.UnitCode != "" || w.o.SysAttrs {
		return false
	}
	switch a.Type {
	case TypeGeoProperty:
		return a.Geometry != nil
	case TypeProperty:
		switch a.Value.(type) {
		case string, bool, json.Number, float64, int, int64:
			return true
		}
	}
	return false
}

// needsType reports whether a concise instance must keep its type for the
// parser to infer it back.
func (w *writer) needsType(a *Attribute, name string) bool {
	switch a.Type {
	case TypeGeoProperty:
		return true
	case TypeProperty:
		return geoPropertyNames[name]
	}
	return false
}

func (w *writer) mainValue(ob *object, a *Attribute) {
	switch a.Type {
	case TypeRelationship:
		ob.key("object")
		w.str(a.Object)
		if types := a.ObjectType(); len(types) > 0 {
			ob.key("objectType")
			w.types(types)
		}
	case TypeGeoProperty:
		ob.key("value")
		w.geometry(a)
	case TypeLanguageProperty:
		w.languageValue(ob, a)
	default:
		ob.key("value")
		w.value(a.Value)
	}
}

// languageValue writes a languageMap, or the picked language as a value
// and a "lang" member.
func (w *writer) languageValue(ob *object, a *Attribute) {
	tag, text, ok := w.pick(a.LanguageMap)
	if !ok {
		ob.key("languageMap")
		w.stringMap(a.LanguageMap)
		return
	}
	ob.key("value")
	w.str(text)
	ob.key("lang")
	w.str(tag)
}

// outputType is the type an instance is rendered with: a LanguageProperty
// whose language is picked becomes a Property.
func (w *writer) outputType(a *Attribute) string {
	if a.Type == TypeLanguageProperty && w.langs != nil && len(a.LanguageMap) > 0 {
		return TypeProperty
	}
	return a.Type
}

func (w *writer) attrMeta(ob *object, a *Attribute) {
	if a.DatasetID != "" {
		ob.key("datasetId")
		w.str(a.DatasetID)
	}
	if !a.ObservedAt.IsZero() {
		ob.key("observedAt")
		w.time(a.ObservedAt)
	}
	if a.UnitCode != "" {
		ob.key("unitCode")
		w.str(a.UnitCode)
	}
	if w.o.SysAttrs {
		w.sysAttrs(ob, a.CreatedAt, a.ModifiedAt)
	}
}

func (w *writer) geometry(a *Attribute) {
	if a.Geometry == nil {
		w.buf.WriteString("null")
		return
	}
	b, err := a.Geometry.MarshalJSON()
	if err != nil || len(b) == 0 {
		w.buf.WriteString("null")
		return
	}
	w.buf.Write(b)
}

func (w *writer) stringMap(m map[string]string) {
	ob := w.open()
	for _, k := range sortedKeys(m) {
		ob.key(k)
		w.str(m[k])
	}
	ob.close()
}

// value writes a decoded JSON value; object members are sorted.
func (w *writer) value(v any) {
	switch x := v.(type) {
	case nil:
		w.buf.WriteString("null")
	case bool:
		w.buf.WriteString(strconv.FormatBool(x))
	case json.Number:
		w.number(x)
	case string:
		w.str(x)
	case float64:
		w.float(x)
	case int:
		w.buf.WriteString(strconv.Itoa(x))
	case int64:
		w.buf.WriteString(strconv.FormatInt(x, 10))
	case []any:
		w.buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				w.buf.WriteByte(',')
			}
			w.value(e)
		}
		w.buf.WriteByte(']')
	case map[string]any:
		ob := w.open()
		for _, k := range sortedKeys(x) {
			ob.key(k)
			w.value(x[k])
		}
		ob.close()
	default:
		b, err := json.Marshal(x)
		if err != nil {
			b = []byte("null")
		}
		w.buf.Write(b)
	}
}

func (w *writer) number(n json.Number) {
	if n == "" {
		w.buf.WriteByte('0')
		return
	}
	w.buf.WriteString(string(n))
}

func (w *writer) float(f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		w.buf.WriteString("null")
		return
	}
	w.buf.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
}

const hexDigits = "0123456789abcdef"

// str writes s as a JSON string (no HTML escaping; invalid UTF-8 becomes
// U+FFFD, as encoding/json does).
func (w *writer) str(s string) {
	b := w.buf
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b.WriteString(s[start:i])
			w.escapeByte(c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			b.WriteString(s[start:i])
			if r == utf8.RuneError {
				b.WriteString(`\ufffd`)
			} else {
				b.WriteString(`\u202`)
				b.WriteByte(hexDigits[r&0xf])
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}

func (w *writer) escapeByte(c byte) {
	switch c {
	case '"', '\\':
		w.buf.WriteByte('\\')
		w.buf.WriteByte(c)
	case '\n':
		w.buf.WriteString(`\n`)
	case '\r':
		w.buf.WriteString(`\r`)
	case '\t':
		w.buf.WriteString(`\t`)
	default:
		w.buf.WriteString(`\u00`)
		w.buf.WriteByte(hexDigits[c>>4])
		w.buf.WriteByte(hexDigits[c&0xf])
	}
}

// langPref is one entry of a lang parameter.
type langPref struct {
	tag string
	q   float64
}

// parseLang turns "fr,en;q=0.8" into tags by preference; nil means keep
// the whole languageMap.
func parseLang(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" || s == "*" {
		return nil
	}
	var prefs []langPref
	for _, part := range strings.Split(s, ",") {
		tag, params, _ := strings.Cut(part, ";")
		p := langPref{tag: strings.TrimSpace(tag), q: 1}
		if qs, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if q, err := strconv.ParseFloat(qs, 64); err == nil {
				p.q = q
			}
		}
		if p.tag != "" {
			prefs = append(prefs, p)
		}
	}
	sort.SliceStable(prefs, func(i, j int) bool { return prefs[i].q > prefs[j].q })
	tags := make([]string, len(prefs))
	for i, p := range prefs {
		tags[i] = p.tag
	}
	return tags
}

// pick chooses the language to render from lm: the first preferred tag
// present (exactly or as a prefix, case-insensitive), else "@none", else
// the smallest tag. ok is false when no language was asked for.
func (w *writer) pick(lm map[string]string) (tag, text string, ok bool) {
	if w.langs == nil || len(lm) == 0 {
		return "", "", false
	}
	for _, pref := range w.langs {
		if pref == "*" {
			break
		}
		if t, found := matchLang(lm, pref); found {
			return t, lm[t], true
		}
	}
	if t, found := lm["@none"]; found {
		return "@none", t, true
	}
	t := sortedKeys(lm)[0]
	return t, lm[t], true
}

// matchLang finds pref in lm exactly, or a more specific tag (en → en-GB).
func matchLang(lm map[string]string, pref string) (string, bool) {
	var prefixed []string
	for t := range lm {
		if strings.EqualFold(t, pref) {
			return t, true
		}
		if len(t) > len(pref) && t[len(pref)] == '-' && strings.EqualFold(t[:len(pref)], pref) {
			prefixed = append(prefixed, t)
		}
	}
	if len(prefixed) == 0 {
		return "", false
	}
	sort.Strings(prefixed)
	return prefixed[0], true
}
