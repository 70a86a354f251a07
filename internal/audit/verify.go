package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Head identifies the end of the chain at some moment: keep it elsewhere
// (printed by `dothi audit verify`, copied off the machine) to detect
// later removal of records from the end, which a chain alone cannot show.
type Head struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// Break is the first place where the chain does not hold.
type Break struct {
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}

func (b *Break) Error() string { return fmt.Sprintf("audit record %d: %s", b.Seq, b.Reason) }

// Report is the result of Verify.
type Report struct {
	Records int64 `json:"records"`
	Head    Head  `json:"head"`
	// Broken is nil when the whole chain holds.
	Broken *Break `json:"broken,omitempty"`
}

// row is a stored record as read back, time as its stored text.
type row struct {
	c              canonical
	details        string
	prevHash, hash string
}

// Verify walks the whole chain in order and reports the first record that
// was edited, deleted or moved. Each anchor (a Head kept from an earlier
// run) must still be in the chain, which detects records cut from the end
// or a chain rebuilt from scratch. An error is returned only when the
// database cannot be read.
func (l *Log) Verify(ctx context.Context, anchors ...Head) (Report, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT seq, time, actor, action, resource, source_ip, outcome, details, prev_hash, hash
		FROM audit ORDER BY seq`)
	if err != nil {
		return Report{}, err
	}
	defer rows.Close()
	rep := Report{Head: Head{Hash: genesis}}
	want := map[int64]string{}
	for _, a := range anchors {
		want[a.Seq] = a.Hash
	}
	for rows.Next() && rep.Broken == nil {
		var r row
		if err := rows.Scan(&r.c.Seq, &r.c.Time, &r.c.Actor, &r.c.Action, &r.c.Resource, &r.c.SourceIP, &r.c.Outcome, &r.details, &r.prevHash, &r.hash); err != nil {
			return Report{}, err
		}
		rep.Broken = check(r, rep.Head, want)
		if rep.Broken == nil {
			rep.Records++
			rep.Head = Head{Seq: r.c.Seq, Hash: r.hash}
			delete(want, r.c.Seq)
		}
	}
	if err := rows.Err(); err != nil {
		return Report{}, err
	}
	if rep.Broken == nil {
		rep.Broken = missingAnchor(want)
	}
	return rep, nil
}

// check tests one record against the head of the chain before it.
func check(r row, prev Head, anchors map[int64]string) *Break {
	seq := r.c.Seq
	switch {
	case seq != prev.Seq+1:
		return &Break{Seq: prev.Seq + 1, Reason: fmt.Sprintf("missing: the next record is %d (deleted or reordered)", seq)}
	case r.prevHash != prev.Hash:
		return &Break{Seq: seq, Reason: "does not link to the record before it"}
	}
	if err := json.Unmarshal([]byte(r.details), &r.c.Details); err != nil {
		return &Break{Seq: seq, Reason: "details are not valid JSON (edited)"}
	}
	if _, err := time.Parse(timeFormat, r.c.Time); err != nil {
		return &Break{Seq: seq, Reason: "time is malformed (edited)"}
	}
	h, err := chainHash(prev.Hash, r.c)
	if err != nil || h != r.hash {
		return &Break{Seq: seq, Reason: "content does not match its hash (edited)"}
	}
	if a, ok := anchors[seq]; ok && a != r.hash {
		return &Break{Seq: seq, Reason: "differs from the kept anchor (chain rewritten)"}
	}
	return nil
}

// missingAnchor reports an anchor past the end of the chain (records cut).
func missingAnchor(left map[int64]string) *Break {
	var first int64
	for seq := range left {
		if first == 0 || seq < first {
			first = seq
		}
	}
	if first == 0 {
		return nil
	}
	return &Break{Seq: first, Reason: "anchored record is gone (records removed from the end)"}
}

// Records returns up to limit records after seq, oldest first.
func (l *Log) Records(ctx context.Context, after int64, limit int) ([]Record, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT seq, time, actor, action, resource, source_ip, outcome, details, prev_hash, hash
		FROM audit WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func scanRecord(rows *sql.Rows) (Record, error) {
	var r Record
	var t, details string
	if err := rows.Scan(&r.Seq, &t, &r.Actor, &r.Action, &r.Resource, &r.SourceIP, &r.Outcome, &details, &r.PrevHash, &r.Hash); err != nil {
		return Record{}, err
	}
	r.Time, _ = time.Parse(timeFormat, t)
	_ = json.Unmarshal([]byte(details), &r.Details)
	return r, nil
}
