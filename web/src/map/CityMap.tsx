import L from './leaflet-global';
import 'leaflet/dist/leaflet.css';
import 'leaflet.markercluster';
import 'leaflet.markercluster/dist/MarkerCluster.css';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Feature, FeatureCollection, Geometry } from 'geojson';
import { typeColor } from '../colors';
import { defaults, loadConfig } from '../config';
import { formatValue } from '../format';
import { useI18n, type I18n, type MessageKey } from '../i18n';
import { layerOf, layers, type Layer } from '../live/domains';
import type { Change, LiveEntity, LiveStore } from '../live/store';
import { href, navigate } from '../router';

interface Props {
  store: LiveStore;
  /** Changes when the entity set does (re-renders the layer control). */
  version: number;
}

type BaseProps = { kind?: string; name?: string; name_en?: string };

const baseUrl = '/geo/vungtau.geojson';

/** The label of a popup row: a message key or a literal (PM2.5). */
function label(i18n: I18n, s: string): string {
  return s.startsWith('popup.') ? i18n.t(s as MessageKey) : s;
}

/** The last part of an id: urn:ngsi-ld:AirQualityObserved:VT-BaiTruoc → VT-BaiTruoc. */
export function shortId(id: string): string {
  return id.split(':').pop() || id;
}

/** A value with its unit in the current language. */
function valueText(v: unknown, row: { unit?: string; scale?: number; digits?: number }, i18n: I18n): string {
  if (typeof v === 'number') {
    const x = v * (row.scale ?? 1);
    const s = i18n.n(x, { maximumFractionDigits: row.digits ?? 2 });
    if (!row.unit) return s;
    return row.unit === '%' ? s + ' %' : `${s} ${label(i18n, row.unit)}`;
  }
  if (typeof v === 'string') {
    const key = ('state.' + v) as MessageKey;
    const tr = i18n.t(key);
    return tr === key ? v : tr;
  }
  return formatValue(v, i18n, 80);
}

function popupContent(e: LiveEntity, i18n: I18n): HTMLElement {
  const root = document.createElement('div');
  root.className = 'entity-popup';
  root.dataset.id = e.id;
  const layer = layerOf.get(e.type);
  const title = document.createElement('p');
  title.className = 'entity-popup__title';
  title.textContent = e.name ?? shortId(e.id);
  root.append(title);
  const sub = document.createElement('p');
  sub.className = 'entity-popup__sub';
  sub.textContent = `${layer ? i18n.t(layer.name) : e.type} · ${shortId(e.id)}`;
  root.append(sub);

  const dl = document.createElement('dl');
  const row = (k: string, v: string, attr?: string) => {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    if (attr) dd.dataset.attr = attr;
    dl.append(dt, dd);
  };
  if (layer) {
    for (const r of layer.rows) {
      if (!(r.attr in e.values)) continue;
      row(label(i18n, r.label), valueText(e.values[r.attr], r, i18n), r.attr);
    }
  } else {
    for (const [k, v] of Object.entries(e.values)) {
      if (k === 'location' || k === 'name') continue;
      row(k, formatValue(v, i18n, 80) + (e.units[k] ? ` ${e.units[k]}` : ''), k);
    }
  }
  if (Number.isFinite(e.observedAt)) {
    row(i18n.t('popup.observedAt'), i18n.d(e.observedAt, { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' }), 'observedAt');
  }
  root.append(dl);

  const link = document.createElement('a');
  const to = href('/entities', { type: e.type, id: e.id });
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

/** One layer of the map: a known domain, or any other type. */
interface MapLayer {
  key: string;
  def: Layer | null;
  group: L.LayerGroup;
}

interface Placed {
  marker: L.Marker;
  band: number;
  layer: MapLayer;
  glide?: ReturnType<typeof setTimeout>;
}

/** A band's severity for cluster colours: unknown counts least. */
function severity(def: Layer | null, band: number): number {
  if (!def) return 0;
  return def.bands[band]?.label === 'band.unknown' ? -1 : band;
}

function clusterGroup(def: Layer | null, color: string, onDone: () => void): L.MarkerClusterGroup {
  return L.markerClusterGroup({
    chunkedLoading: true,
    chunkProgress: (done: number, total: number) => {
      if (done === total) onDone();
    },
    chunkInterval: 100,
    maxClusterRadius: 40,
    disableClusteringAtZoom: 17,
    showCoverageOnHover: false,
    spiderfyOnMaxZoom: true,
    removeOutsideVisibleBounds: true,
    animate: false,
    iconCreateFunction: (cluster) => {
      // The colour of the worst band in the cluster.
      let worst = -1;
      for (const m of cluster.getAllChildMarkers()) {
        const s = (m.options as { severity?: number }).severity ?? 0;
        if (s > worst) worst = s;
      }
      const c = def && worst >= 0 ? def.bands[worst].color : color;
      const n = cluster.getChildCount();
      const size = Math.round((n < 100 ? 2 : n < 1000 ? 2.4 : 2.8) * rem());
      return L.divIcon({
        className: 'entity-cluster',
        html: `<span style="--marker:${c}">${n}</span>`,
        iconSize: [size, size],
      });
    },
  });
}

export default function CityMap({ store, version }: Props) {
  const i18n = useI18n();
  const { t, lang } = i18n;
  const el = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | null>(null);
  const baseLayer = useRef<L.GeoJSON | null>(null);
  const mapLayers = useRef(new Map<string, MapLayer>());
  const placed = useRef(new Map<string, Placed>());
  const [hidden, setHidden] = useState<Set<string>>(() => new Set());
  const hiddenRef = useRef(hidden);
  hiddenRef.current = hidden;
  const [ready, setReady] = useState(false);
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
    setReady(true);
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
      for (const p of placed.current.values()) if (p.glide) clearTimeout(p.glide);
      placed.current.clear();
      mapLayers.current.clear();
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

  // The entities: one layer per domain, markers updated in place from
  // the store's changes (new, moved, recoloured, removed).
  const i18nRef = useRef(i18n);
  i18nRef.current = i18n;
  useEffect(() => {
    const m = map.current;
    if (!m || !ready) return;
    const icons = new Map<string, L.DivIcon>();
    // Markers still being added in chunks; the tests read data-busy and
    // data-markers to know when the map has caught up.
    const container = m.getContainer();
    let busy = 0;
    const showBusy = () => {
      container.dataset.busy = String(busy);
      container.dataset.markers = String(placed.current.size);
    };
    const done = () => {
      busy = Math.max(0, busy - 1);
      setTimeout(showBusy, 0);
    };
    const size = Math.round(1.15 * rem());
    const iconFor = (def: Layer | null, type: string, band: number): L.DivIcon => {
      const k = `${type}/${band}`;
      let icon = icons.get(k);
      if (!icon) {
        const color = def ? (def.bands[band]?.color ?? typeColor(type)) : typeColor(type);
        const shape = def?.shape ?? 'dot';
        icon = L.divIcon({
          className: `entity-marker entity-marker--${shape}`,
          html: `<span style="--marker:${color}"></span>`,
          iconSize: [size, size],
          iconAnchor: [size / 2, size / 2],
          popupAnchor: [0, -size / 2],
        });
        icons.set(k, icon);
      }
      return icon;
    };
    const layerFor = (type: string): MapLayer => {
      const key = layerOf.has(type) ? type : 'other:' + type;
      let ml = mapLayers.current.get(key);
      if (!ml) {
        const def = layerOf.get(type) ?? null;
        // Buses move: a plain group, so a marker glides instead of being re-clustered.
        const group = def?.shape === 'bus' ? L.layerGroup() : clusterGroup(def, typeColor(type), done);
        ml = { key, def, group };
        mapLayers.current.set(key, ml);
        if (!hiddenRef.current.has(key)) group.addTo(m);
      }
      return ml;
    };
    const titleOf = (e: LiveEntity) => `${e.name ?? e.type} · ${shortId(e.id)}`;
    const refreshPopup = (p: Placed) => {
      if (p.marker.isPopupOpen()) p.marker.getPopup()?.update();
    };

    const apply = (c: Change) => {
      const adds = new Map<MapLayer, L.Marker[]>();
      const removes = new Map<MapLayer, L.Marker[]>();
      const queue = (into: Map<MapLayer, L.Marker[]>, ml: MapLayer, mk: L.Marker) => {
        const list = into.get(ml);
        if (list) list.push(mk);
        else into.set(ml, [mk]);
      };
      if (c.reset) {
        // Keep markers of entities still there; remove the others.
        const keep = new Set(c.upserted.map((e) => e.id));
        for (const [id, p] of placed.current) {
          if (!keep.has(id)) {
            queue(removes, p.layer, p.marker);
            placed.current.delete(id);
          }
        }
      }
      for (const e of c.removed) {
        const p = placed.current.get(e.id);
        if (!p) continue;
        queue(removes, p.layer, p.marker);
        placed.current.delete(e.id);
      }
      for (const e of c.upserted) {
        const p = placed.current.get(e.id);
        if (!e.at) {
          if (p) {
            queue(removes, p.layer, p.marker);
            placed.current.delete(e.id);
          }
          continue;
        }
        const ml = layerFor(e.type);
        const band = ml.def ? ml.def.band(e) : 0;
        if (p && p.layer === ml) {
          const ll = p.marker.getLatLng();
          if (ll.lat !== e.at[0] || ll.lng !== e.at[1]) {
            const el = p.marker.getElement();
            if (el && ml.def?.shape === 'bus' && !c.reset) {
              el.classList.add('entity-marker--glide');
              if (p.glide) clearTimeout(p.glide);
              p.glide = setTimeout(() => p.marker.getElement()?.classList.remove('entity-marker--glide'), 1600);
            }
            p.marker.setLatLng(e.at);
          }
          if (band !== p.band) {
            p.band = band;
            (p.marker.options as { severity?: number }).severity = severity(ml.def, band);
            p.marker.setIcon(iconFor(ml.def, e.type, band));
            const el = p.marker.getElement();
            if (el) {
              el.title = titleOf(e);
              el.setAttribute('alt', titleOf(e));
            }
            if (ml.group instanceof L.MarkerClusterGroup) ml.group.refreshClusters(p.marker);
          }
          refreshPopup(p);
          continue;
        }
        if (p) {
          queue(removes, p.layer, p.marker);
          placed.current.delete(e.id);
        }
        const id = e.id;
        const title = titleOf(e);
        const marker = L.marker(e.at, {
          icon: iconFor(ml.def, e.type, band),
          title,
          alt: title,
          keyboard: true,
          riseOnHover: true,
          severity: severity(ml.def, band),
        } as L.MarkerOptions);
        marker.bindPopup(
          () => {
            const cur = store.entities.get(id);
            return cur ? popupContent(cur, i18nRef.current) : document.createElement('div');
          },
          { maxWidth: 320, className: 'entity-popup-wrap' },
        );
        placed.current.set(id, { marker, band, layer: ml });
        queue(adds, ml, marker);
      }
      for (const [ml, list] of removes) {
        if (ml.group instanceof L.MarkerClusterGroup) ml.group.removeLayers(list);
        else for (const mk of list) ml.group.removeLayer(mk);
      }
      for (const [ml, list] of adds) {
        if (ml.group instanceof L.MarkerClusterGroup) {
          if (m.hasLayer(ml.group)) busy++;
          ml.group.addLayers(list);
        } else for (const mk of list) ml.group.addLayer(mk);
      }
      setTimeout(showBusy, 0);
    };
    apply({ reset: true, upserted: [...store.entities.values()], removed: [] });
    return store.subscribe(apply);
  }, [store, ready]);

  // Titles and popups follow the language.
  useEffect(() => {
    for (const [id, p] of placed.current) {
      const e = store.entities.get(id);
      const el = p.marker.getElement();
      if (e && el) el.title = `${e.name ?? e.type} · ${shortId(e.id)}`;
      if (p.marker.isPopupOpen()) p.marker.getPopup()?.update();
    }
  }, [i18n, store]);

  // The layer control shows or hides a domain's layer.
  useEffect(() => {
    const m = map.current;
    if (!m) return;
    for (const ml of mapLayers.current.values()) {
      const show = !hidden.has(ml.key);
      if (show && !m.hasLayer(ml.group)) ml.group.addTo(m);
      if (!show && m.hasLayer(ml.group)) {
        m.closePopup();
        ml.group.remove();
      }
    }
  }, [hidden, version]);

  // Located entities per layer, for the layer control.
  const counts = useMemo(() => {
    const c = new Map<string, number>();
    for (const e of store.entities.values()) {
      if (!e.at) continue;
      const key = layerOf.has(e.type) ? e.type : 'other:' + e.type;
      c.set(key, (c.get(key) ?? 0) + 1);
    }
    return c;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [store, version]);
  const others = [...counts.keys()].filter((k) => k.startsWith('other:')).sort();
  const located = [...counts.values()].reduce((a, b) => a + b, 0);
  const toggle = (key: string) =>
    setHidden((h) => {
      const next = new Set(h);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });

  return (
    <div className="city-map-wrap">
      <div ref={el} className="city-map" data-testid="city-map" role="region" aria-label={t('map.label')} />
      <aside className="map-legend" aria-label={t('map.legend')}>
        <details open className="layer-control">
          <summary className="map-legend__title">{t('map.layers')}</summary>
          {located === 0 && <p className="muted">{t('map.legendEmpty')}</p>}
          <ul className="layer-list" data-testid="layer-control">
            {layers.map((l) => {
              const n = counts.get(l.type) ?? 0;
              const on = !hidden.has(l.type);
              const swatch = l.bands[0].color;
              return (
                <li key={l.type} className={n === 0 ? 'layer-list__item layer-list__item--empty' : 'layer-list__item'}>
                  <label className="layer-list__label">
                    <input type="checkbox" checked={on} onChange={() => toggle(l.type)} data-layer={l.type} />
                    <span className={`swatch swatch--${l.shape ?? 'dot'}`} style={{ background: swatch }} aria-hidden="true" />
                    <span className="map-legend__name">{t(l.name)}</span>
                    <span className="map-legend__count">{i18n.n(n)}</span>
                  </label>
                  {on && n > 0 && l.type === 'AirQualityObserved' && l.bandsTitle && <p className="bands__title">{t(l.bandsTitle)}</p>}
                  {on && n > 0 && l.bands.length > 1 && (
                    <ul className="bands" aria-label={l.bandsTitle ? t(l.bandsTitle) : t(l.name)}>
                      {l.bands.filter((b) => b.label !== 'band.unknown').map((b) => (
                        <li key={b.label}>
                          <span className="swatch swatch--small" style={{ background: b.color }} aria-hidden="true" />
                          {t(b.label)}
                        </li>
                      ))}
                    </ul>
                  )}
                </li>
              );
            })}
            {others.map((key) => {
              const type = key.slice(6);
              return (
                <li key={key} className="layer-list__item">
                  <label className="layer-list__label">
                    <input type="checkbox" checked={!hidden.has(key)} onChange={() => toggle(key)} data-layer={type} />
                    <span className="swatch" style={{ background: typeColor(type) }} aria-hidden="true" />
                    <span className="map-legend__name">{type}</span>
                    <span className="map-legend__count">{i18n.n(counts.get(key) ?? 0)}</span>
                  </label>
                </li>
              );
            })}
          </ul>
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
        </details>
        {baseFailed && (
          <p className="notice notice--warn" role="status">
            {t('map.baseUnavailable')}
          </p>
        )}
      </aside>
    </div>
  );
}
