package jsonld

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// flight is one fetch of a URL that concurrent callers share.
type flight struct {
	done chan struct{}
	val  any
	err  error
}

const maxRedirects = 5

// httpClient returns a copy of c (or a new client) that follows redirects
// only to allowed hosts.
func (r *Resolver) httpClient(c *http.Client) *http.Client {
	var cl http.Client
	if c != nil {
		cl = *c
	}
	cl.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return errors.New("too many redirects")
		}
		return r.checkRemote(req.URL.String())
	}
	return &cl
}

// checkRemote returns nil when u may be fetched from the network, else an
// LdContextNotAvailable problem saying how to make it available.
func (r *Resolver) checkRemote(u string) error {
	p, err := url.Parse(u)
	if err == nil && (p.Scheme == "http" || p.Scheme == "https") && r.hostAllowed(p.Hostname()) {
		return nil
	}
	where := "a local context folder (config Dir, listed in " + IndexFile + ")"
	if r.cfg.Dir != "" {
		where = fmt.Sprintf("the local context folder %s (listed in %s)", r.cfg.Dir, IndexFile)
	}
	return notAvailable("the JSON-LD context %q is not available: this broker does not fetch contexts from that host; "+
		"put the context in %s, allow its host for remote fetching, or send the context inline", u, where)
}

// hostAllowed reports whether AllowRemote lets the resolver fetch from host.
func (r *Resolver) hostAllowed(host string) bool {
	for _, a := range r.cfg.AllowRemote {
		switch {
		case a == "*", strings.EqualFold(a, host):
			return true
		case strings.HasPrefix(a, "*.") && len(host) > len(a)-1 &&
			strings.EqualFold(host[len(host)-len(a)+1:], a[1:]):
			return true
		}
	}
	return false
}

// fetchShared fetches url, sharing one fetch among concurrent callers. The
// fetch runs on its own (bounded by cfg.FetchTimeout) so that a caller that
// gives up does not fail the others.
func (r *Resolver) fetchShared(ctx context.Context, url string) (any, error) {
	r.mu.Lock()
	f, ok := r.flights[url]
	if !ok {
		f = &flight{done: make(chan struct{})}
		r.flights[url] = f
		go r.runFlight(url, f)
	}
	r.mu.Unlock()
	select {
	case <-f.done:
		return f.val, f.err
	case <-ctx.Done():
		return nil, notAvailable("the JSON-LD context %q could not be fetched within %v", url, r.cfg.FetchTimeout)
	}
}

// runFlight fetches url, records the outcome and releases the waiters.
func (r *Resolver) runFlight(url string, f *flight) {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.FetchTimeout)
	defer cancel()
	body, err := r.fetch(ctx, url)
	if err == nil {
		f.val, err = parseDoc(url, body)
	}
	f.err = err
	if err != nil {
		r.fail(url, err)
	} else {
		r.docs.add(url, f.val)
		r.keep(ctx, url, body)
	}
	r.mu.Lock()
	delete(r.flights, url)
	r.mu.Unlock()
	close(f.done)
}

// keep stores a fetched document through the Source.
func (r *Resolver) keep(ctx context.Context, url string, body []byte) {
	if r.src == nil {
		return
	}
	if err := r.src.Put(ctx, url, body); err != nil {
		r.cfg.Logger.Warn("jsonld: keeping fetched context", "url", url, "err", err)
	}
}

// fetch GETs the document at url, at most cfg.MaxSize bytes.
func (r *Resolver) fetch(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, notAvailable("the JSON-LD context URL %q is invalid", url)
	}
	req.Header.Set("Accept", "application/ld+json, application/json;q=0.9")
	resp, err := r.client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, notAvailable("the JSON-LD context %q could not be fetched within %v", url, r.cfg.FetchTimeout)
		}
		return nil, notAvailable("the JSON-LD context %q could not be fetched: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, notAvailable("fetching the JSON-LD context %q: the server answered %s", url, resp.Status)
	}
	if resp.ContentLength > r.cfg.MaxSize {
		return nil, r.tooLarge(url)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, r.cfg.MaxSize+1))
	if err != nil {
		return nil, notAvailable("reading the JSON-LD context %q: %v", url, err)
	}
	if int64(len(body)) > r.cfg.MaxSize {
		return nil, r.tooLarge(url)
	}
	return body, nil
}

func (r *Resolver) tooLarge(url string) error {
	return notAvailable("the JSON-LD context %q is larger than %d bytes", url, r.cfg.MaxSize)
}
