import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { ApiError, getEntity, getTypes, queryEntities, type Entity } from '../api/ngsild';
import { typeColor } from '../colors';
import { formatValue, shortName } from '../format';
import { useI18n } from '../i18n';
import { href, Link, navigate, useLocation } from '../router';

const pageSize = 20;
const maxColumns = 6;

type Load<T> = { state: 'idle' } | { state: 'loading' } | { state: 'done'; value: T } | { state: 'error'; error: ApiError };

function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError(0, { detail: String(err) });
}

/** Runs fn when deps change, aborting the previous run. */
function useLoad<T>(fn: ((signal: AbortSignal) => Promise<T>) | null, deps: unknown[]): Load<T> {
  const [s, setS] = useState<Load<T>>({ state: 'idle' });
  useEffect(() => {
    if (!fn) {
      setS({ state: 'idle' });
      return;
    }
    const c = new AbortController();
    setS({ state: 'loading' });
    fn(c.signal).then(
      (value) => !c.signal.aborted && setS({ state: 'done', value }),
      (err: unknown) => !c.signal.aborted && setS({ state: 'error', error: asApiError(err) }),
    );
    return () => c.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return s;
}

export default function Explorer() {
  const i18n = useI18n();
  const { t, n } = i18n;
  const { params } = useLocation();
  const type = params.get('type') ?? '';
  const q = params.get('q') ?? '';
  const page = Math.max(1, Number(params.get('page')) || 1);
  const selected = params.get('id') ?? '';
  const qId = useId();
  const [qInput, setQInput] = useState(q);
  const [copied, setCopied] = useState(false);

  useEffect(() => setQInput(q), [q]);

  // Choosing an entity brings its details into view and moves focus there
  // (on narrow screens the panel is below the table).
  const firstSelection = useRef(true);
  useEffect(() => {
    if (firstSelection.current) {
      firstSelection.current = false;
      return;
    }
    if (!selected) return;
    const h = document.getElementById('detail-heading');
    h?.focus({ preventScroll: true });
    h?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [selected]);

  const types = useLoad((s) => getTypes(s), []);
  const rows = useLoad(
    type ? (s) => queryEntities({ type, q, limit: pageSize, offset: (page - 1) * pageSize, count: true, keyValues: true }, s) : null,
    [type, q, page],
  );
  const detail = useLoad(selected ? (s) => getEntity(selected, s) : null, [selected]);

  const columns = useMemo(() => {
    if (rows.state !== 'done') return [];
    const seen = new Set<string>();
    for (const e of rows.value.entities) {
      for (const k of Object.keys(e)) if (k !== 'id' && k !== 'type' && k !== '@context') seen.add(k);
    }
    return [...seen].slice(0, maxColumns);
  }, [rows]);

  const to = (p: { type?: string; q?: string; page?: number; id?: string }) =>
    href('/entities', { type: p.type ?? type, q: p.q ?? q, page: p.page && p.page > 1 ? p.page : undefined, id: p.id });

  function submit(e: FormEvent) {
    e.preventDefault();
    navigate(href('/entities', { type, q: qInput.trim() }));
  }

  const queryError = rows.state === 'error' && rows.error.status === 400 ? rows.error : null;
  const otherError = rows.state === 'error' && !queryError ? rows.error : null;
  const total = rows.state === 'done' ? rows.value.total : null;
  const count = rows.state === 'done' ? rows.value.entities.length : 0;
  const from = (page - 1) * pageSize + 1;
  const hasNext = total !== null ? page * pageSize < total : count === pageSize;

  return (
    <div className="explorer">
      <div className="page-head">
        <h1 id="page-title" tabIndex={-1}>
          {t('explorer.heading')}
        </h1>
        <p className="muted">{t('explorer.intro')}</p>
      </div>

      <div className="explorer__grid">
        <nav className="panel explorer__types" aria-labelledby="types-heading">
          <h2 id="types-heading" className="panel__title">
            {t('explorer.types')}
          </h2>
          {types.state === 'loading' && <p className="muted">{t('explorer.loading')}</p>}
          {types.state === 'error' && (
            <p className="notice notice--error" role="alert">
              {t('explorer.error')}: {types.error.message}
            </p>
          )}
          {types.state === 'done' && types.value.length === 0 && <p className="muted">{t('explorer.typesEmpty')}</p>}
          {types.state === 'done' && types.value.length > 0 && (
            <ul className="type-list">
              {types.value.map((ty) => (
                <li key={ty}>
                  <Link
                    to={href('/entities', { type: ty })}
                    className="type-list__link"
                    aria-current={ty === type ? 'true' : undefined}
                    data-type={ty}
                  >
                    <span className="swatch" style={{ background: typeColor(ty) }} aria-hidden="true" />
                    {shortName(ty)}
                  </Link>
                </li>
              ))}
            </ul>
          )}
        </nav>

        <section className="panel explorer__table" aria-labelledby="table-heading">
          <h2 id="table-heading" className="panel__title">
            {type ? t('explorer.tableCaption', { type: shortName(type) }) : t('explorer.heading')}
          </h2>
          {!type ? (
            <p className="muted empty-state">{t('explorer.chooseType')}</p>
          ) : (
            <>
              <form className="q-form" onSubmit={submit} role="search">
                <label htmlFor={qId}>{t('explorer.filter')}</label>
                <div className="q-form__row">
                  <input
                    id={qId}
                    name="q"
                    type="text"
                    inputMode="text"
                    autoComplete="off"
                    spellCheck={false}
                    value={qInput}
                    onChange={(e) => setQInput(e.target.value)}
                    aria-invalid={queryError ? true : undefined}
                    aria-describedby={`${qId}-hint${queryError ? ` ${qId}-error` : ''}`}
                  />
                  <button type="submit" className="btn btn--primary">
                    {t('explorer.apply')}
                  </button>
                  {q && (
                    <button type="button" className="btn" onClick={() => navigate(href('/entities', { type }))}>
                      {t('explorer.clear')}
                    </button>
                  )}
                </div>
                <p id={`${qId}-hint`} className="hint">
                  {t('explorer.filterHint')}
                </p>
                {queryError && (
                  <div id={`${qId}-error`} className="notice notice--error" role="alert" data-testid="q-error">
                    <strong>{t('explorer.invalidQuery')}:</strong> {queryError.problem.detail ?? queryError.message}
                  </div>
                )}
              </form>

              {otherError && (
                <p className="notice notice--error" role="alert">
                  {t('explorer.error')}: {otherError.message}
                </p>
              )}
              {rows.state === 'loading' && (
                <p className="muted" role="status">
                  {t('explorer.loading')}
                </p>
              )}
              {rows.state === 'done' && count === 0 && <p className="muted empty-state">{t('explorer.noRows')}</p>}
              {rows.state === 'done' && count > 0 && (
                <>
                  <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="table-heading">
                    <table className="data-table" data-testid="entity-table">
                      <caption className="visually-hidden">{t('explorer.tableCaption', { type: shortName(type) })}</caption>
                      <thead>
                        <tr>
                          <th scope="col">{t('explorer.colId')}</th>
                          {columns.map((c) => (
                            <th scope="col" key={c}>
                              {shortName(c)}
                            </th>
                          ))}
                        </tr>
                      </thead>
                      <tbody>
                        {rows.value.entities.map((e: Entity) => (
                          <tr key={e.id} className={e.id === selected ? 'is-selected' : undefined}>
                            <th scope="row">
                              <Link to={to({ page, id: e.id })} className="entity-link" aria-current={e.id === selected ? 'true' : undefined}>
                                {e.id}
                              </Link>
                            </th>
                            {columns.map((c) => (
                              <td key={c}>{c in e ? formatValue(e[c], i18n, 60) : ''}</td>
                            ))}
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                  <nav className="pager" aria-label={t('explorer.pagination')}>
                    <button
                      type="button"
                      className="btn"
                      disabled={page <= 1}
                      onClick={() => navigate(to({ page: page - 1 }))}
                    >
                      ← {t('explorer.prev')}
                    </button>
                    <p aria-live="polite" data-testid="range">
                      {total !== null
                        ? t('explorer.range', { from: n(from), to: n(from + count - 1), total: n(total) })
                        : t('explorer.rangeUnknown', { from: n(from), to: n(from + count - 1) })}
                    </p>
                    <button type="button" className="btn" disabled={!hasNext} onClick={() => navigate(to({ page: page + 1 }))}>
                      {t('explorer.next')} →
                    </button>
                  </nav>
                </>
              )}
            </>
          )}
        </section>

        <section className="panel explorer__detail" aria-labelledby="detail-heading">
          <div className="panel__head">
            <h2 id="detail-heading" className="panel__title" tabIndex={-1}>
              {t('explorer.detailHeading')}
            </h2>
            {selected && (
              <div className="panel__tools">
                {detail.state === 'done' && (
                  <button
                    type="button"
                    className="btn btn--small"
                    onClick={() => {
                      void navigator.clipboard?.writeText(JSON.stringify(detail.value, null, 2)).then(() => {
                        setCopied(true);
                        setTimeout(() => setCopied(false), 1500);
                      });
                    }}
                  >
                    {copied ? t('explorer.copied') : t('explorer.copy')}
                  </button>
                )}
                <Link to={to({ page })} className="btn btn--small">
                  {t('explorer.close')}
                </Link>
              </div>
            )}
          </div>
          {!selected && <p className="muted empty-state">{t('explorer.detailHint')}</p>}
          {detail.state === 'loading' && <p className="muted">{t('explorer.loading')}</p>}
          {detail.state === 'error' && (
            <p className="notice notice--error" role="alert">
              {t('explorer.error')}: {detail.error.message}
            </p>
          )}
          {detail.state === 'done' && (
            <pre className="json" tabIndex={0} data-testid="entity-json" aria-label={selected}>
              {JSON.stringify(detail.value, null, 2)}
            </pre>
          )}
        </section>
      </div>
    </div>
  );
}
