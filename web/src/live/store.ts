// The overview's live entity set: loaded once through the NGSI-LD API,
// then kept current by the server-sent event stream (GET /api/v1/stream),
// with a periodic full reload only as a fallback.
import { useEffect, useRef, useState } from 'react';
import { ApiError, countEntities, getTypes, locationOf, queryEntities, typeOf, type Entity } from '../api/ngsild';
import { shortName } from '../format';

/** An entity as the dashboard keeps it: values, units, position, freshness. */
export interface LiveEntity {
  id: string;
  /** The short name of its first type. */
  type: string;
  name: string | null;
  /** Attribute values (as in keyValues form). */
  values: Record<string, unknown>;
  units: Record<string, string>;
  /** The latest observedAt of its attributes, in ms (NaN when none). */
  observedAt: number;
  /** A point to draw it at ([lat, lon]) or null. */
  at: [number, number] | null;
}

/** What changed in one flush of the store. */
export interface Change {
  /** Everything was replaced (initial load, resync). */
  reset: boolean;
  upserted: LiveEntity[];
  removed: LiveEntity[];
}

type Listener = (c: Change) => void;

/** A point for any GeoJSON geometry: the point itself, or a middle vertex. */
function pointOf(e: Entity): [number, number] | null {
  const g = locationOf(e);
  if (!g) return null;
  let c: unknown = g.type === 'GeometryCollection' ? null : (g as { coordinates: unknown }).coordinates;
  while (Array.isArray(c) && Array.isArray(c[0])) c = c[Math.floor(c.length / 2)];
  if (!Array.isArray(c) || typeof c[0] !== 'number' || typeof c[1] !== 'number') return null;
  return [c[1], c[0]];
}

/** Converts a normalized (or keyValues) entity. */
export function toLive(e: Entity): LiveEntity {
  const values: Record<string, unknown> = {};
  const units: Record<string, string> = {};
  let observedAt = NaN;
  for (const [k, raw] of Object.entries(e)) {
    if (k === 'id' || k === 'type' || k === '@context') continue;
    const key = shortName(k);
    let v = raw;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const a = v as Record<string, unknown>;
      if (a.type === 'Property' || a.type === 'GeoProperty' || a.type === 'Relationship' || a.type === 'LanguageProperty') {
        v = a.type === 'Relationship' ? a.object : a.type === 'LanguageProperty' ? a.languageMap : a.value;
        if (typeof a.unitCode === 'string') units[key] = a.unitCode;
        if (typeof a.observedAt === 'string') {
          const t = Date.parse(a.observedAt);
          if (!(t <= observedAt)) observedAt = t;
        }
      }
    }
    values[key] = v;
  }
  return {
    id: e.id,
    type: shortName(typeOf(e)),
    name: typeof values.name === 'string' ? values.name : null,
    values,
    units,
    observedAt,
    at: pointOf(e),
  };
}

/** Timestamps of measurements seen on the stream, for a per-minute rate. */
class RateCounter {
  private stamps: number[] = [];
  add(n: number, now = Date.now()) {
    for (let i = 0; i < n; i++) this.stamps.push(now);
  }
  perMinute(now = Date.now()): number {
    const from = now - 60_000;
    let i = 0;
    while (i < this.stamps.length && this.stamps[i] < from) i++;
    if (i) this.stamps.splice(0, i);
    return this.stamps.length;
  }
}

export class LiveStore {
  readonly entities = new Map<string, LiveEntity>();
  readonly rate = new RateCounter();
  /** When the first stream event of the session arrived. */
  private listeners = new Set<Listener>();
  private pending = new Map<string, LiveEntity | null>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private emit(c: Change) {
    for (const l of this.listeners) l(c);
  }

  /** Replaces the whole set (a load or a resync); pending events still apply after. */
  replaceAll(list: Entity[]) {
    this.entities.clear();
    for (const e of list) {
      const le = toLive(e);
      this.entities.set(le.id, le);
    }
    this.emit({ reset: true, upserted: [...this.entities.values()], removed: [] });
  }

  /** Queues a stream event; events are applied together a few times a second. */
  event(kind: 'create' | 'update' | 'delete', e: Entity) {
    if (!e || typeof e.id !== 'string') return;
    if (kind === 'delete') {
      this.pending.set(e.id, null);
    } else {
      const le = toLive(e);
      // Count the measured attributes this event carries as new.
      const old = this.pending.get(le.id) ?? this.entities.get(le.id);
      if (Number.isFinite(le.observedAt) && !(old && old.observedAt >= le.observedAt)) {
        let n = 0;
        for (const k of Object.keys(le.values)) if (typeof le.values[k] === 'number' && k !== 'location') n++;
        this.rate.add(Math.max(1, n));
      }
      this.pending.set(le.id, le);
    }
    if (this.timer === null) this.timer = setTimeout(() => this.flush(), 100);
  }

  private flush() {
    this.timer = null;
    const upserted: LiveEntity[] = [];
    const removed: LiveEntity[] = [];
    for (const [id, le] of this.pending) {
      if (le === null) {
        const old = this.entities.get(id);
        if (old) {
          this.entities.delete(id);
          removed.push(old);
        }
      } else {
        this.entities.set(id, le);
        upserted.push(le);
      }
    }
    this.pending.clear();
    if (upserted.length || removed.length) this.emit({ reset: false, upserted, removed });
  }
}

/** The largest number of entities of one type the dashboard loads. */
export const maxPerType = 20_000;
const pageSize = 1000;

/** Loads every entity of every type (normalized, for observedAt and units). */
export async function loadAll(signal: AbortSignal): Promise<{ entities: Entity[]; counts: Map<string, number> }> {
  const types = await getTypes(signal);
  const counts = new Map<string, number>();
  const pages: Promise<Entity[]>[] = [];
  await Promise.all(
    types.map(async (type) => {
      const count = await countEntities(type, signal);
      counts.set(shortName(type), count);
      for (let offset = 0; offset < Math.min(count, maxPerType); offset += pageSize) {
        pages.push(
          queryEntities({ type, limit: pageSize, offset }, signal)
            .catch((err: unknown) => {
              // A server with a smaller maximum page size: a smaller first page.
              if (err instanceof ApiError && err.status === 403 && offset === 0) return queryEntities({ type, limit: 100 }, signal);
              throw err;
            })
            .then((r) => r.entities),
        );
      }
    }),
  );
  const all = (await Promise.all(pages)).flat();
  return { entities: all, counts };
}

export type StreamState = 'connecting' | 'live' | 'reconnecting';

export interface LiveState {
  store: LiveStore;
  /** Bumped (at most a few times a second) when the set changes. */
  version: number;
  loading: boolean;
  error: ApiError | null;
  loadedAt: Date | null;
  /** Entities per type as counted by the API. */
  counts: Map<string, number>;
  stream: StreamState;
  reload: () => void;
}

/**
 * The live entity set of the overview. Loads once, subscribes to the
 * stream, reconnects with exponential backoff (1 s doubling to 30 s) and
 * reloads after each reconnection, since events were missed meanwhile. The
 * periodic reload runs every fallbackMs while the stream is down and every
 * 5 minutes while it is up.
 */
export function useLive(fallbackMs = 30_000): LiveState {
  const storeRef = useRef<LiveStore | null>(null);
  if (!storeRef.current) storeRef.current = new LiveStore();
  const store = storeRef.current;
  const [version, setVersion] = useState(0);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ApiError | null>(null);
  const [loadedAt, setLoadedAt] = useState<Date | null>(null);
  const [counts, setCounts] = useState<Map<string, number>>(new Map());
  const [stream, setStream] = useState<StreamState>('connecting');
  const reloadRef = useRef<() => void>(() => {});

  useEffect(() => {
    let ctl: AbortController | null = null;
    let closed = false;
    const reload = () => {
      ctl?.abort();
      const c = new AbortController();
      ctl = c;
      setLoading(true);
      loadAll(c.signal)
        .then(({ entities, counts }) => {
          store.replaceAll(entities);
          setCounts(counts);
          setLoadedAt(new Date());
          setError(null);
        })
        .catch((err: unknown) => {
          if (c.signal.aborted) return;
          setError(err instanceof ApiError ? err : new ApiError(0, { detail: String(err) }));
        })
        .finally(() => {
          if (!c.signal.aborted) setLoading(false);
        });
    };
    reloadRef.current = reload;

    // Re-render a few times a second at most.
    let bump: ReturnType<typeof setTimeout> | null = null;
    const unsub = store.subscribe(() => {
      if (bump === null)
        bump = setTimeout(() => {
          bump = null;
          setVersion((v) => v + 1);
        }, 250);
    });

    let es: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    let delay = 1000;
    let live = false;
    let connectedOnce = false;
    const connect = () => {
      if (closed) return;
      es = new EventSource('/api/v1/stream?options=normalized', { withCredentials: true });
      es.addEventListener('ready', () => {
        delay = 1000;
        live = true;
        setStream('live');
        // After a drop, events were missed: resync once.
        if (connectedOnce) reload();
        connectedOnce = true;
      });
      // The server fell behind this client and dropped events: resync.
      es.addEventListener('resync', () => reload());
      for (const kind of ['create', 'update', 'delete'] as const) {
        es.addEventListener(kind, (ev: MessageEvent<string>) => {
          try {
            store.event(kind, JSON.parse(ev.data) as Entity);
          } catch {
            // a malformed event: the next resync repairs it
          }
        });
      }
      es.onerror = () => {
        es?.close();
        es = null;
        live = false;
        setStream('reconnecting');
        if (closed) return;
        retry = setTimeout(connect, delay + Math.random() * 250);
        delay = Math.min(delay * 2, 30_000);
      };
    };

    reload();
    connect();
    let last = Date.now();
    const tick = setInterval(() => {
      const every = live ? 300_000 : fallbackMs;
      if (Date.now() - last >= every) {
        last = Date.now();
        reload();
      }
    }, 5_000);

    return () => {
      closed = true;
      clearInterval(tick);
      if (retry) clearTimeout(retry);
      if (bump) clearTimeout(bump);
      es?.close();
      ctl?.abort();
      unsub();
    };
  }, [store, fallbackMs]);

  return { store, version, loading, error, loadedAt, counts, stream, reload: () => reloadRef.current() };
}
