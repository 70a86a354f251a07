package jsonld

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// IndexFile is the name of the index of a local context folder.
const IndexFile = "index.json"

// readIndex reads dir/index.json: context URL → file name in dir.
func readIndex(dir string) (map[string]string, error) {
	if dir == "" {
		return nil, nil
	}
	data, err := os.ReadFile(filepath.Join(dir, IndexFile))
	if err != nil {
		return nil, fmt.Errorf("jsonld: local context folder: %w", err)
	}
	var index map[string]string
	if err := json.Unmarshal(data, &index); err != nil {
		return nil, fmt.Errorf("jsonld: %s: %w", filepath.Join(dir, IndexFile), err)
	}
	for u, name := range index {
		if !filepath.IsLocal(name) {
			return nil, fmt.Errorf("jsonld: %s: file %q of %q is outside the folder", IndexFile, name, u)
		}
	}
	return index, nil
}

// loadLocal looks url up in the Source, then in the local folder.
func (r *Resolver) loadLocal(ctx context.Context, url string) (v any, found bool, err error) {
	if r.src != nil {
		body, ok, err := r.src.Get(ctx, url)
		if err != nil {
			return nil, false, fmt.Errorf("jsonld: reading stored context %q: %w", url, err)
		}
		if ok {
			v, err := parseDoc(url, body)
			return v, true, err
		}
	}
	name, ok := r.index[url]
	if !ok {
		return nil, false, nil
	}
	body, err := os.ReadFile(filepath.Join(r.cfg.Dir, name))
	if err != nil {
		return nil, true, notAvailable("the local copy of the JSON-LD context %q (%s) cannot be read", url, name)
	}
	v, err = parseDoc(url, body)
	return v, true, err
}

// parseDoc returns the @context value of a context document.
func parseDoc(url string, body []byte) (any, error) {
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, notAvailable("the document at %q is not a JSON object: %v", url, err)
	}
	v, ok := doc["@context"]
	if !ok {
		return nil, notAvailable("the document at %q is not a JSON-LD context: it has no @context member", url)
	}
	return v, nil
}
