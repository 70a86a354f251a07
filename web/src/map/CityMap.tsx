import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { useEffect, useRef, useState } from 'react';
import type { Feature, FeatureCollection, Geometry } from 'geojson';
import { locationOf, typeOf, type Entity } from '../api/ngsild';
import { typeColor } from '../colors';
import { defaults, loadConfig } from '../config';
import type { TypeStat } from '../data';
import { formatValue, shortName } from '../format';
import { useI18n, type I18n } from '../i18n';
import { href, navigate } from '../router';

interface Props {
  stats: TypeStat[] | null;
}

type BaseProps = { kind?: string; name?: string; name_en?: string };

const baseUrl = '/geo/vungtau.geojson';

function popupContent(e: Entity, i18n: I18n): HTMLElement {
  const root = document.createElement('div');
  root.className = 'entity-popup';
  const type = typeOf(e);
  const title = document.createElement('p');
  title.className = 'entity-popup__title';
  title.textContent = e.id;
  root.append(title);

  const dl = document.createElement('dl');
  const row = (k: string, v: string) => {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    dl.append(dt, dd);
  };
  row(i18n.t('popup.type'), shortName(type));
  for (const [k, v] of Object.entries(e)) {
    if (k === 'id' || k === 'type' || k === '@context') continue;
    row(shortName(k), formatValue(v, i18n, 80));
  }
  root.append(dl);

  const link = document.createElement('a');
  const to = href('/entities', { type, id: e.id });
  link.href = to;
  link.textContent = i18n.t('popup.open');
  link.addEventListener('click', (ev) => {
    if (ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
    ev.preventDefault();
    navigate(to);
  });
  root.append(link);
  return root;
}

/** The root font size in pixels: marker sizes follow it (phone → 4K wall). */
function rem(): number {
  return parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
}

function entityIcon(color: string): L.DivIcon {
  const size = Math.round(1.15 * rem());
  return L.divIcon({
    className: 'entity-marker',
    html: `<span style="--marker:${color}"></span>`,
    iconSize: [size, size],
    iconAnchor: [size / 2, size / 2],
    popupAnchor: [0, -size / 2],
  });
}

export default function CityMap({ stats }: Props) {
  const i18n = useI18n();
  const { t, lang } = i18n;
  const el = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | null>(null);
  const baseLayer = useRef<L.GeoJSON | null>(null);
  const entityLayer = useRef<L.LayerGroup | null>(null);
  const zoomControl = useRef<L.Control.Zoom | null>(null);
  const [base, setBase] = useState<FeatureCollection | null>(null);
  const [baseFailed, setBaseFailed] = useState(false);
  const tRef = useRef(t);
  tRef.current = t;

  // The map itself, created once.
  useEffect(() => {
    if (!el.current) return;
    const m = L.map(el.current, {
      center: defaults.center,
      zoom: defaults.zoom,
      minZoom: 10,
      zoomSnap: 0.5,
      maxZoom: 18,
      zoomControl: false,
      attributionControl: true,
      keyboard: true,
      renderer: L.svg({ padding: 0.5 }),
    });
    m.attributionControl.setPrefix('Leaflet');
    // The offline base map lies under everything else (overlays are 400).
    m.createPane('base').style.zIndex = '250';
    map.current = m;
    entityLayer.current = L.layerGroup().addTo(m);
    let cancelled = false;

    loadConfig().then((cfg) => {
      if (cancelled) return;
      if (cfg.center) m.setView(cfg.center, cfg.zoom ?? m.getZoom(), { animate: false });
      else if (cfg.zoom) m.setZoom(cfg.zoom, { animate: false });
      if (cfg.tileUrl) {
        L.tileLayer(cfg.tileUrl, { attribution: cfg.tileAttribution ?? '', maxZoom: cfg.tileMaxZoom ?? 19 })
          .addTo(m)
          .bringToBack();
        el.current?.classList.add('city-map--tiles');
      }
    });

    fetch(baseUrl)
      .then((r) => {
        if (!r.ok) throw new Error(String(r.status));
        return r.json() as Promise<FeatureCollection>;
      })
      .then((fc) => !cancelled && setBase(fc))
      .catch(() => !cancelled && setBaseFailed(true));

    // Escape closes a popup wherever focus is in the map (Leaflet listens
    // only while the map container itself has focus) and returns focus to
    // the marker that opened it.
    let opener: HTMLElement | null = null;
    m.on('popupopen', (e: L.PopupEvent) => {
      e.popup
        .getElement()
        ?.querySelector('.leaflet-popup-close-button')
        ?.setAttribute('aria-label', tRef.current('map.closePopup'));
      const a = document.activeElement;
      opener = a instanceof HTMLElement && a.classList.contains('entity-marker') ? a : null;
    });
    const container = el.current;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || !container.querySelector('.leaflet-popup')) return;
      e.preventDefault();
      m.closePopup();
      opener?.focus();
    };
    container.addEventListener('keydown', onKey);

    // The map may be laid out after creation (grid, fonts): re-measure.
    // Leaflet's SVG renderer only re-measures on moveend, so a resize that
    // does not move the centre would leave shapes clipped to the old size.
    const ro = new ResizeObserver(() => {
      m.invalidateSize();
      m.fire('moveend');
    });
    ro.observe(el.current);
    return () => {
      cancelled = true;
      container.removeEventListener('keydown', onKey);
      ro.disconnect();
      m.remove();
      map.current = null;
    };
  }, []);

  // Zoom buttons and attribution follow the language.
  useEffect(() => {
    const m = map.current;
    if (!m) return;
    zoomControl.current?.remove();
    zoomControl.current = L.control
      .zoom({ zoomInTitle: t('map.zoomIn'), zoomOutTitle: t('map.zoomOut'), position: 'topleft' })
      .addTo(m);
    m.getContainer().setAttribute('aria-label', t('map.label'));
  }, [t]);

  // The offline base layer: boundary, roads, landmarks.
  useEffect(() => {
    const m = map.current;
    if (!m || !base) return;
    baseLayer.current?.remove();
    const name = (p: BaseProps) => (lang === 'en' ? (p.name_en ?? p.name) : p.name) ?? '';
    baseLayer.current = L.geoJSON(base as FeatureCollection<Geometry, BaseProps>, {
      pane: 'base',
      attribution: t('map.attribution'),
      style: (f?: Feature<Geometry, BaseProps>) =>
        f?.properties.kind === 'boundary'
          ? { className: 'base-boundary', weight: 2 }
          : { className: 'base-road', weight: 4 },
      pointToLayer: (f: Feature<Geometry, BaseProps>, latlng) =>
        L.marker(latlng, {
          icon: L.divIcon({ className: 'landmark-marker', html: '<span></span>', iconSize: [0.6 * rem(), 0.6 * rem()] }),
          interactive: false,
          keyboard: false,
          pane: 'base',
          // Leaflet gives the pane's svg z-index 200: keep the dots above it.
          zIndexOffset: 1000,
        }).bindTooltip(name(f.properties), {
          permanent: true,
          direction: 'right',
          className: 'landmark-label',
          offset: [0.4 * rem(), 0],
        }),
      onEachFeature: (f: Feature<Geometry, BaseProps>, layer) => {
        if (f.properties.kind === 'road') layer.bindTooltip(name(f.properties), { sticky: true, className: 'road-label' });
      },
    }).addTo(m);
  }, [base, lang, t]);

  // Once the base map is known, zoom so the city centre (roads and
  // landmarks) fills the map at any screen size, keeping the configured
  // centre. Done once: later the operator's zoom is kept.
  const fitted = useRef(false);
  useEffect(() => {
    const m = map.current;
    if (!m || !base || fitted.current) return;
    fitted.current = true;
    const coreFc: FeatureCollection = { ...base, features: base.features.filter((f) => f.properties?.kind !== 'boundary') };
    const core = L.geoJSON(coreFc);
    const bounds = core.getBounds();
    if (!bounds.isValid()) return;
    loadConfig().then((cfg) => {
      if (cfg.zoom || !map.current) return;
      const z = m.getBoundsZoom(bounds.pad(0.08));
      m.setView(cfg.center ?? defaults.center, Math.min(Math.max(z, 12), 16), { animate: false });
    });
  }, [base]);

  // The entities.
  useEffect(() => {
    const layer = entityLayer.current;
    if (!layer) return;
    layer.clearLayers();
    for (const s of stats ?? []) {
      const color = typeColor(s.type);
      for (const e of s.located) {
        const g = locationOf(e);
        if (!g) continue;
        const label = `${shortName(s.type)}: ${e.id}`;
        const gj = L.geoJSON(g, {
          style: { color, weight: 3, fillOpacity: 0.25 },
          pointToLayer: (_f, latlng) =>
            L.marker(latlng, { icon: entityIcon(color), title: label, alt: label, keyboard: true, riseOnHover: true }),
        });
        gj.bindPopup(() => popupContent(e, i18n), { maxWidth: 320, className: 'entity-popup-wrap' });
        gj.addTo(layer);
      }
    }
  }, [stats, i18n]);

  const legend = (stats ?? []).filter((s) => s.located.length > 0);

  return (
    <div className="city-map-wrap">
      <div ref={el} className="city-map" data-testid="city-map" role="region" aria-label={t('map.label')} />
      <aside className="map-legend" aria-label={t('map.legend')}>
        <h3 className="map-legend__title">{t('map.legend')}</h3>
        {legend.length === 0 ? (
          <p className="muted">{t('map.legendEmpty')}</p>
        ) : (
          <ul>
            {legend.map((s) => (
              <li key={s.type}>
                <span className="swatch" style={{ background: typeColor(s.type) }} aria-hidden="true" />
                <span className="map-legend__name">{shortName(s.type)}</span>
                <span className="map-legend__count">{i18n.n(s.located.length)}</span>
                {s.fetched < s.count && (
                  <span className="visually-hidden">
                    {t('map.truncated', { shown: s.located.length, total: s.count, type: shortName(s.type) })}
                  </span>
                )}
              </li>
            ))}
          </ul>
        )}
        <ul className="map-legend__base">
          <li>
            <span className="swatch swatch--road" aria-hidden="true" />
            {t('map.roads')}
          </li>
          <li>
            <span className="swatch swatch--landmark" aria-hidden="true" />
            {t('map.landmarks')}
          </li>
        </ul>
        {baseFailed && (
          <p className="notice notice--warn" role="status">
            {t('map.baseUnavailable')}
          </p>
        )}
      </aside>
    </div>
  );
}
