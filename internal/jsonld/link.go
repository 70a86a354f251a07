package jsonld

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/dothi-city/dothi/internal/ngsild"
)

// LinkRel is the link relation of a JSON-LD context in a Link header.
const LinkRel = "http://www.w3.org/ns/json-ld#context"

// Link returns the Link header value that refers to a context URL.
func Link(url string) string {
	return "<" + url + `>; rel="` + LinkRel + `"; type="application/ld+json"`
}

// ParseLink returns the context URL of an HTTP Link header
// (<url>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"),
// or "" when the header has no context link. A malformed header, more than
// one context link or a relative URL is a BadRequestData problem.
func ParseLink(header string) (url string, err error) {
	rest := strings.TrimSpace(header)
	for rest != "" {
		target, rel, next, err := nextLink(rest)
		if err != nil {
			return "", err
		}
		if isContextRel(rel) {
			if url != "" {
				return "", badLink("more than one JSON-LD context link")
			}
			url = target
		}
		rest = strings.TrimSpace(next)
	}
	if url == "" {
		return "", nil
	}
	if _, err := absURL(url, ""); err != nil {
		return "", badLink("the context URL " + url + " is not an absolute URL")
	}
	return url, nil
}

func badLink(detail string) error {
	return ngsild.Errorf(ngsild.ErrBadRequestData, "invalid Link header: %s", detail)
}

func isContextRel(rel string) bool {
	for _, r := range strings.Fields(rel) {
		if r == LinkRel {
			return true
		}
	}
	return false
}

// nextLink parses the first link-value of s and returns its target, its
// rel parameter and what follows it.
func nextLink(s string) (target, rel, rest string, err error) {
	s = strings.TrimLeft(s, " \t,")
	if !strings.HasPrefix(s, "<") {
		return "", "", "", badLink("a link must start with <url>")
	}
	end := strings.IndexByte(s, '>')
	if end < 0 {
		return "", "", "", badLink("missing '>' after the URL")
	}
	target, s = strings.TrimSpace(s[1:end]), s[end+1:]
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" || s[0] == ',' {
			return target, rel, strings.TrimPrefix(s, ","), nil
		}
		if s[0] != ';' {
			return "", "", "", badLink("expected ';' or ',' after <" + target + ">")
		}
		var name, value string
		name, value, s, err = nextParam(s[1:])
		if err != nil {
			return "", "", "", err
		}
		if strings.EqualFold(name, "rel") {
			rel = value
		}
	}
}

// nextParam parses one name[=value] link parameter at the start of s.
func nextParam(s string) (name, value, rest string, err error) {
	i := strings.IndexAny(s, "=;,")
	if i < 0 {
		return strings.TrimSpace(s), "", "", nil
	}
	name = strings.TrimSpace(s[:i])
	if s[i] != '=' {
		return name, "", s[i:], nil
	}
	s = strings.TrimLeft(s[i+1:], " \t")
	if strings.HasPrefix(s, `"`) {
		j := strings.IndexByte(s[1:], '"')
		if j < 0 {
			return "", "", "", badLink("unterminated quoted value of " + name)
		}
		return name, s[1 : 1+j], s[2+j:], nil
	}
	j := strings.IndexAny(s, ";,")
	if j < 0 {
		j = len(s)
	}
	return name, strings.TrimSpace(s[:j]), s[j:], nil
}

// Validate checks an uploaded context document ({"@context": …}, as
// POST /ngsi-ld/v1/jsonldContexts accepts) and returns its @context value.
// Term definitions are checked; URLs it includes must be absolute but are
// not loaded. Errors are BadRequestData problems saying what is wrong.
func Validate(body []byte) (any, error) {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&doc); err != nil {
		return nil, badUpload("the body is not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, badUpload("the body has data after the JSON object")
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, badUpload("the body must be a JSON object with an @context member")
	}
	v, ok := obj["@context"]
	if !ok || v == nil {
		return nil, badUpload("the body has no @context member")
	}
	b := newBuilder(core)
	if err := b.apply(v, "", 0); err != nil {
		return nil, err
	}
	return v, nil
}

func badUpload(format string, args ...any) error {
	return ngsild.Errorf(ngsild.ErrBadRequestData, format, args...)
}
