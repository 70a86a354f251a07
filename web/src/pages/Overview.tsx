import { lazy, Suspense, useMemo } from 'react';
import { Kpi } from '../components/Kpi';
import { useOverview } from '../data';
import { useI18n } from '../i18n';
import CityMap from '../map/CityMap';

const TypeChart = lazy(() => import('../charts/TypeChart'));

export default function Overview() {
  const { t, n, d } = useI18n();
  const { data, error, loading, reload } = useOverview();
  const nf = (v: number) => n(v);
  const bars = useMemo(() => (data?.types ?? []).map((s) => ({ type: s.type, count: s.count })), [data]);

  return (
    <div className="overview">
      <div className="page-head">
        <h1 id="page-title" tabIndex={-1}>
          {t('overview.heading')} <span className="page-head__city">· {t('app.city')}</span>
        </h1>
        <div className="page-head__actions">
          {data && (
            <p className="muted" aria-live="polite">
              {t('overview.updated', { time: d(data.at, { timeStyle: 'medium' }) })}
            </p>
          )}
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
      {!error && data && data.total === 0 && (
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
            testId="kpi-types"
            label={t('kpi.types')}
            value={data ? data.types.length : null}
            format={nf}
            zeroText={t('kpi.none')}
            unknownText={t('kpi.unavailable')}
            loading={loading}
          />
          <Kpi
            testId="kpi-entities"
            label={t('kpi.entities')}
            value={data ? data.total : null}
            format={nf}
            zeroText={t('kpi.none')}
            unknownText={t('kpi.unavailable')}
            loading={loading}
          />
          <Kpi
            testId="kpi-located"
            label={t('kpi.located')}
            value={data ? data.located : null}
            format={nf}
            zeroText={t('kpi.none')}
            unknownText={t('kpi.unavailable')}
            loading={loading}
          />
        </dl>
      </section>

      <div className="overview__grid">
        <section className="panel panel--map" aria-labelledby="map-heading">
          <h2 id="map-heading" className="panel__title">
            {t('map.heading')}
          </h2>
          <CityMap stats={data?.types ?? null} />
        </section>

        <section className="panel panel--chart" aria-labelledby="chart-heading">
          <h2 id="chart-heading" className="panel__title">
            {t('chart.heading')}
          </h2>
          {data && data.types.length > 0 ? (
            <Suspense fallback={<p className="muted">{t('chart.loading')}</p>}>
              <TypeChart bars={bars} />
            </Suspense>
          ) : (
            <p className="muted empty-state">{loading && !data ? t('overview.loading') : t('chart.empty')}</p>
          )}
        </section>
      </div>
    </div>
  );
}
