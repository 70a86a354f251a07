import { lazy, Suspense, useEffect, useMemo, useRef, useState } from 'react';
import { Kpi } from '../components/Kpi';
import { useI18n } from '../i18n';
import { useLive, type StreamState } from '../live/store';
import type { Change, LiveStore } from '../live/store';
import CityMap, { shortId } from '../map/CityMap';
import { layers } from '../live/domains';

const Pm25Chart = lazy(() => import('../charts/Pm25Chart'));

/** PM2.5 of each air station over the session, fed by the store's changes. */
export interface Pm25Series {
  id: string;
  name: string;
  points: [number, number][];
}

const maxPoints = 4000;

function usePm25Series(store: LiveStore): Pm25Series[] {
  const series = useRef(new Map<string, Pm25Series>());
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const add = (c: Change) => {
      let changed = false;
      for (const e of c.upserted) {
        const v = e.values.pm25;
        if (e.type !== 'AirQualityObserved' || typeof v !== 'number') continue;
        const t = Number.isFinite(e.observedAt) ? e.observedAt : Date.now();
        let s = series.current.get(e.id);
        if (!s) {
          s = { id: e.id, name: e.name ?? shortId(e.id), points: [] };
          series.current.set(e.id, s);
        }
        const last = s.points[s.points.length - 1];
        if (last && last[0] >= t) continue;
        s.points.push([t, v]);
        if (s.points.length > maxPoints) s.points.splice(0, s.points.length - maxPoints);
        changed = true;
      }
      for (const e of c.removed) if (series.current.delete(e.id)) changed = true;
      if (changed && timer === null)
        timer = setTimeout(() => {
          timer = null;
          setVersion((x) => x + 1);
        }, 500);
    };
    add({ reset: true, upserted: [...store.entities.values()], removed: [] });
    const unsub = store.subscribe(add);
    return () => {
      unsub();
      if (timer) clearTimeout(timer);
    };
  }, [store]);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  return useMemo(() => [...series.current.values()].map((s) => ({ ...s, points: [...s.points] })), [version]);
}

function LiveBadge({ state }: { state: StreamState }) {
  const { t } = useI18n();
  const text = state === 'live' ? t('live.live') : state === 'connecting' ? t('live.connecting') : t('live.reconnecting');
  const label = state === 'live' ? t('live.liveLabel') : state === 'connecting' ? t('live.connectingLabel') : t('live.reconnectingLabel');
  return (
    <p className={`live-badge live-badge--${state}`} role="status" aria-label={label} data-testid="live-status" data-state={state}>
      <span className="live-badge__dot" aria-hidden="true" />
      <span aria-hidden="true">{text}</span>
      {/* Announced when the state changes (the live region's content, not its label). */}
      <span className="visually-hidden">{label}</span>
    </p>
  );
}

export default function Overview() {
  const { t, n, d } = useI18n();
  const live = useLive();
  const { store, version, error, loading, loadedAt, stream, reload } = live;
  const nf = (v: number) => n(v);

  // Time-based figures (reporting in the last minute, rate) move without events too.
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 5000);
    return () => clearInterval(id);
  }, []);

  const figures = useMemo(() => {
    const t0 = Date.now();
    let sum = 0;
    let stations = 0;
    let worst: { name: string; v: number } | null = null;
    let reporting = 0;
    let devices = 0;
    for (const e of store.entities.values()) {
      if (Number.isFinite(e.observedAt)) {
        devices++;
        if (t0 - e.observedAt <= 60_000) reporting++;
      }
      if (e.type === 'AirQualityObserved' && typeof e.values.pm25 === 'number') {
        const v = e.values.pm25;
        sum += v;
        stations++;
        if (!worst || v > worst.v) worst = { name: e.name ?? shortId(e.id), v };
      }
    }
    // Entities per layer and band, for the status panel.
    const bands = new Map<string, number[]>();
    for (const l of layers) bands.set(l.type, new Array<number>(l.bands.length).fill(0));
    for (const e of store.entities.values()) {
      const b = bands.get(e.type);
      const l = b && layers.find((x) => x.type === e.type);
      if (b && l) b[l.band(e)]++;
    }
    return {
      bands,
      pm25: stations ? sum / stations : null,
      worst,
      reporting,
      devices,
      rate: store.rate.perMinute(t0),
      total: store.entities.size,
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [store, version, now, loadedAt]);

  const pm25 = usePm25Series(store);
  const hasData = loadedAt !== null;

  return (
    <div className="overview">
      <div className="page-head">
        <h1 id="page-title" tabIndex={-1}>
          {t('overview.heading')} <span className="page-head__city">· {t('app.city')}</span>
        </h1>
        <div className="page-head__actions">
          <LiveBadge state={stream} />
          {loadedAt && <p className="muted">{t('overview.updated', { time: d(loadedAt, { timeStyle: 'medium' }) })}</p>}
          <button type="button" className="btn" onClick={reload} disabled={loading} aria-busy={loading || undefined}>
            {t('overview.refresh')}
          </button>
        </div>
      </div>

      {error && (
        <p className="notice notice--error" role="alert">
          {t('overview.apiError', { detail: error.message })}
        </p>
      )}
      {!error && hasData && figures.total === 0 && (
        <p className="notice" role="status">
          {t('overview.empty')}
        </p>
      )}

      <section aria-labelledby="kpi-heading" className="kpis-section">
        <h2 id="kpi-heading" className="visually-hidden">
          {t('kpi.label')}
        </h2>
        <dl className="kpis">
          <Kpi
            testId="kpi-pm25"
            label={t('kpi.pm25')}
            unit="µg/m³"
            value={hasData && figures.pm25 !== null ? Math.round(figures.pm25 * 10) / 10 : null}
            format={(v) => n(v, { maximumFractionDigits: 1 })}
            zeroText=""
            unknownText={t('kpi.unavailable')}
            loading={loading && !hasData}
            note={
              figures.worst ? (
                <>
                  <span className="visually-hidden">{t('kpi.pm25Avg')}. </span>
                  <span data-testid="kpi-pm25-worst">
                    {t('kpi.pm25Worst', { name: figures.worst.name, value: n(figures.worst.v, { maximumFractionDigits: 1 }) })}
                  </span>
                </>
              ) : undefined
            }
          />
          <Kpi
            testId="kpi-reporting"
            label={t('kpi.reporting')}
            value={hasData ? figures.reporting : null}
            format={nf}
            zeroText={t('kpi.none')}
            unknownText={t('kpi.unavailable')}
            loading={loading && !hasData}
            note={hasData ? t('kpi.reportingOf', { total: n(figures.devices) }) : undefined}
          />
          <Kpi
            testId="kpi-rate"
            label={t('kpi.rate')}
            value={hasData ? figures.rate : null}
            format={nf}
            zeroText={t('kpi.none')}
            unknownText={t('kpi.unavailable')}
            loading={loading && !hasData}
            note={t('kpi.rateNote')}
          />
          <Kpi
            testId="kpi-entities"
            label={t('kpi.entities')}
            value={hasData ? figures.total : null}
            format={nf}
            zeroText={t('kpi.none')}
            unknownText={t('kpi.unavailable')}
            loading={loading && !hasData}
          />
        </dl>
      </section>

      <div className="overview__grid">
        <section className="panel panel--map" aria-labelledby="map-heading">
          <h2 id="map-heading" className="panel__title">
            {t('map.heading')}
          </h2>
          <CityMap store={store} version={version} />
        </section>

        <div className="overview__side">
          <section className="panel panel--chart" aria-labelledby="pm25-heading">
            <h2 id="pm25-heading" className="panel__title">
              {t('chart.pm25Heading')}
            </h2>
            {pm25.length > 0 ? (
              <Suspense fallback={<p className="muted">{t('chart.loading')}</p>}>
                <Pm25Chart series={pm25} />
              </Suspense>
            ) : (
              <p className="muted empty-state">{loading && !hasData ? t('overview.loading') : t('chart.pm25Empty')}</p>
            )}
          </section>
          <section className="panel panel--status" aria-labelledby="status-heading">
            <h2 id="status-heading" className="panel__title">
              {t('status.heading')}
            </h2>
            <table className="status-table" data-testid="status-table">
              <caption className="visually-hidden">{t('status.heading')}</caption>
              <tbody>
                {layers.map((l) => {
                  const counts = figures.bands.get(l.type) ?? [];
                  const total = counts.reduce((a, b) => a + b, 0);
                  return (
                    <tr key={l.type} className={total === 0 ? 'status-table__row--empty' : undefined}>
                      <th scope="row">{t(l.name)}</th>
                      <td className="num">{n(total)}</td>
                      <td>
                        <ul className="status-chips">
                          {l.bands.map((b, i) =>
                            counts[i] > 0 && l.bands.length > 1 ? (
                              <li key={b.label}>
                                <span className="swatch swatch--small" style={{ background: b.color }} aria-hidden="true" />
                                {t(b.label)} <strong>{n(counts[i])}</strong>
                              </li>
                            ) : null,
                          )}
                        </ul>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </section>
        </div>
      </div>
    </div>
  );
}
