// Deployment settings of the interface. Everything is optional: the maps
// work offline with the GeoJSON base layer shipped in /geo. A deployer may
// set window.DOTHI_CONFIG in a script, or the server may answer
// GET /api/v1/ui-config; the server's answer wins.

export interface UIConfig {
  /** An XYZ tile URL template, e.g. a tile server inside the data centre. */
  tileUrl?: string;
  tileAttribution?: string;
  tileMaxZoom?: number;
  /** Map centre [lat, lon] and zoom. */
  center?: [number, number];
  zoom?: number;
}

declare global {
  interface Window {
    DOTHI_CONFIG?: UIConfig;
  }
}

export const defaults = {
  center: [10.346, 107.084] as [number, number],
  zoom: 13,
};

let cached: Promise<UIConfig> | null = null;

function clean(raw: unknown): UIConfig {
  if (!raw || typeof raw !== 'object') return {};
  const r = raw as Record<string, unknown>;
  const out: UIConfig = {};
  if (typeof r.tileUrl === 'string' && r.tileUrl) out.tileUrl = r.tileUrl;
  if (typeof r.tileAttribution === 'string') out.tileAttribution = r.tileAttribution;
  if (typeof r.tileMaxZoom === 'number') out.tileMaxZoom = r.tileMaxZoom;
  if (Array.isArray(r.center) && r.center.length === 2 && r.center.every((x) => typeof x === 'number')) {
    out.center = r.center as [number, number];
  }
  if (typeof r.zoom === 'number') out.zoom = r.zoom;
  return out;
}

async function fetchServerConfig(): Promise<UIConfig> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 3000);
  try {
    const res = await fetch('/api/v1/ui-config', { headers: { Accept: 'application/json' }, signal: ctl.signal });
    if (!res.ok || !(res.headers.get('Content-Type') ?? '').includes('json')) return {};
    return clean(await res.json());
  } catch {
    return {};
  } finally {
    clearTimeout(timer);
  }
}

/** The merged configuration, fetched once. A failed request means no tiles. */
export function loadConfig(): Promise<UIConfig> {
  cached ??= fetchServerConfig().then((server) => ({ ...clean(window.DOTHI_CONFIG), ...server }));
  return cached;
}
