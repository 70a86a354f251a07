package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/store"
)

// temporalPK returns the pk of the temporal entity id (0 if none) and its types.
func (w *writeTx) temporalPK(tenant, id string) (int64, []string, error) {
	st, err := w.stmtOf(context.Background(), "SELECT tpk, types FROM temporal_entities WHERE tenant = ? AND id = ?")
	if err != nil {
		return 0, nil, err
	}
	var tpk int64
	var types []byte
	err = st.QueryRow(tenant, id).Scan(&tpk, &types)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, err
	}
	var list []string
	return tpk, list, json.Unmarshal(types, &list)
}

// mustTemporal returns the temporal entity's pk or a ResourceNotFound Problem.
func (w *writeTx) mustTemporal(tenant, id string) (int64, error) {
	tpk, _, err := w.temporalPK(tenant, id)
	if err == nil && tpk == 0 {
		err = ngsild.Errorf(ngsild.ErrResourceNotFound, "temporal entity %s", id)
	}
	return tpk, err
}

// knownName returns the id of an interned name, or a ResourceNotFound Problem.
func (w *writeTx) knownName(name string) (int64, error) {
	if id, ok := w.names[name]; ok {
		return id, nil
	}
	if id, ok := w.newNames[name]; ok {
		return id, nil
	}
	return 0, ngsild.Errorf(ngsild.ErrResourceNotFound, "attribute %s", name)
}

// exec runs a rare statement and returns the rows it changed.
func (w *writeTx) exec(query string, args ...any) (int64, error) {
	st, err := w.stmtOf(context.Background(), query)
	if err != nil {
		return 0, err
	}
	res, err := st.Exec(args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// AddTemporal appends instances to a temporal entity; see store.TemporalStore.
func (s *Store) AddTemporal(ctx context.Context, tenant string, e *store.TemporalEntity) (created bool, err error) {
	if e.ID == "" {
		return false, ngsild.Errorf(ngsild.ErrBadRequestData, "temporal entity without id")
	}
	now := time.Now()
	err = s.writeOp(ctx, func(w *writeTx) error {
		// Encode first: a bad instance fails the call before anything is written.
		type pending struct {
			name string
			a    *ngsild.Attribute
		}
		var list []pending
		for name, insts := range e.Attrs {
			for _, ti := range insts {
				if ti.Attr == nil {
					return ngsild.Errorf(ngsild.ErrBadRequestData, "attribute %s: empty instance", name)
				}
				if _, err := store.EncodeAttribute(ti.Attr); err != nil {
					return ngsild.Errorf(ngsild.ErrBadRequestData, "attribute %s: %v", name, err)
				}
				list = append(list, pending{name, ti.Attr})
			}
		}
		if err := w.ensureTenant(tenant); err != nil {
			return err
		}
		tpk, types, err := w.temporalPK(tenant, e.ID)
		if err != nil {
			return err
		}
		if tpk == 0 {
			if len(e.Types) == 0 {
				return ngsild.Errorf(ngsild.ErrResourceNotFound, "temporal entity %s (to create it, give its type)", e.ID)
			}
			w.nextTPK++
			tpk, created = w.nextTPK, true
			if _, err := w.exec("INSERT INTO temporal_entities(tpk, tenant, id, types) VALUES(?, ?, ?, ?)",
				tpk, tenant, e.ID, jsonList(e.Types)); err != nil {
				return err
			}
		} else if len(e.Types) > 0 && !slices.Equal(types, e.Types) {
			if _, err := w.updTEntity.Exec(jsonList(e.Types), tpk); err != nil {
				return err
			}
		}
		var args []any
		for _, p := range list {
			nid, err := w.nameID(p.name)
			if err != nil {
				return err
			}
			mt := p.a.ModifiedAt
			if mt.IsZero() {
				mt = now
			}
			row, err := temporalRow(w.newIID(), tpk, nid, p.a, mt)
			if err != nil {
				return err
			}
			args = append(args, row...)
		}
		return w.insertTemporal(args)
	})
	if err == nil && created {
		s.tenants.Store(tenant, true)
	}
	return created, err
}

// ModifyInstance replaces one instance; see store.TemporalStore.
func (s *Store) ModifyInstance(ctx context.Context, tenant, entityID, attr, instanceID string, a *ngsild.Attribute) error {
	iid, ok := instanceRowID(instanceID)
	if !ok {
		return ngsild.Errorf(ngsild.ErrResourceNotFound, "instance %s", instanceID)
	}
	if a == nil {
		return ngsild.Errorf(ngsild.ErrBadRequestData, "empty instance")
	}
	if _, err := store.EncodeAttribute(a); err != nil {
		return ngsild.Errorf(ngsild.ErrBadRequestData, "instance: %v", err)
	}
	return s.writeOp(ctx, func(w *writeTx) error {
		tpk, err := w.mustTemporal(tenant, entityID)
		if err != nil {
			return err
		}
		nid, err := w.knownName(attr)
		if err != nil {
			return err
		}
		mt := a.ModifiedAt
		if mt.IsZero() {
			mt = time.Now()
		}
		row, err := temporalRow(iid, tpk, nid, a, mt)
		if err != nil {
			return err
		}
		n, err := w.exec("UPDATE temporal SET t = ?, v = ? WHERE tpk = ? AND nid = ? AND iid = ?", row[2], row[4], tpk, nid, iid)
		if err == nil && n == 0 {
			err = ngsild.Errorf(ngsild.ErrResourceNotFound, "instance %s of %s", instanceID, attr)
		}
		return err
	})
}

// DeleteInstance deletes one instance; see store.TemporalStore.
func (s *Store) DeleteInstance(ctx context.Context, tenant, entityID, attr, instanceID string) error {
	iid, ok := instanceRowID(instanceID)
	if !ok {
		return ngsild.Errorf(ngsild.ErrResourceNotFound, "instance %s", instanceID)
	}
	return s.writeOp(ctx, func(w *writeTx) error {
		tpk, err := w.mustTemporal(tenant, entityID)
		if err != nil {
			return err
		}
		nid, err := w.knownName(attr)
		if err != nil {
			return err
		}
		n, err := w.exec("DELETE FROM temporal WHERE tpk = ? AND nid = ? AND iid = ?", tpk, nid, iid)
		if err == nil && n == 0 {
			err = ngsild.Errorf(ngsild.ErrResourceNotFound, "instance %s of %s", instanceID, attr)
		}
		return err
	})
}

// DeleteTemporalAttr deletes an attribute's history; see store.TemporalStore.
func (s *Store) DeleteTemporalAttr(ctx context.Context, tenant, entityID, attr, datasetID string, all bool) error {
	return s.writeOp(ctx, func(w *writeTx) error {
		tpk, err := w.mustTemporal(tenant, entityID)
		if err != nil {
			return err
		}
		nid, err := w.knownName(attr)
		if err != nil {
			return err
		}
		var n int64
		if all {
			n, err = w.exec("DELETE FROM temporal WHERE tpk = ? AND nid = ?", tpk, nid)
		} else {
			n, err = w.deleteDataset(tpk, nid, datasetID)
		}
		if err == nil && n == 0 {
			err = ngsild.Errorf(ngsild.ErrResourceNotFound, "attribute %s of temporal entity %s", attr, entityID)
		}
		return err
	})
}

// deleteDataset deletes the instances of one datasetId of an attribute
// (the datasetId is in the packed value).
func (w *writeTx) deleteDataset(tpk, nid int64, ds string) (int64, error) {
	st, err := w.stmtOf(context.Background(), "SELECT t, iid, v FROM temporal WHERE tpk = ? AND nid = ?")
	if err != nil {
		return 0, err
	}
	type key struct{ t, iid int64 }
	var keys []key
	err = scanRows(context.Background(), st, []any{tpk, nid}, func(rows *sql.Rows) error {
		var r trow
		var v sql.RawBytes
		if err := rows.Scan(&r.t, &r.iid, &v); err != nil {
			return err
		}
		if err := r.unpack(v); err != nil {
			return err
		}
		if r.ds == ds {
			keys = append(keys, key{r.t, r.iid})
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, k := range keys {
		if _, err := w.exec("DELETE FROM temporal WHERE tpk = ? AND nid = ? AND t = ? AND iid = ?", tpk, nid, k.t, k.iid); err != nil {
			return 0, err
		}
	}
	return int64(len(keys)), nil
}

// DeleteTemporalEntity deletes an entity's history; see store.TemporalStore.
func (s *Store) DeleteTemporalEntity(ctx context.Context, tenant, entityID string) error {
	return s.writeOp(ctx, func(w *writeTx) error {
		tpk, err := w.mustTemporal(tenant, entityID)
		if err != nil {
			return err
		}
		if _, err := w.exec("DELETE FROM temporal WHERE tpk = ?", tpk); err != nil {
			return err
		}
		_, err = w.exec("DELETE FROM temporal_entities WHERE tpk = ?", tpk)
		return err
	})
}
