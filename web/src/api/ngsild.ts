// Client of the NGSI-LD API served by dothi under /ngsi-ld/v1 (ETSI GS CIM
// 009). Errors come back as RFC 7807 ProblemDetails; ApiError carries them.

import type { Geometry } from 'geojson';
import { apiFetch } from './session';

export const base = '/ngsi-ld/v1';

export type Entity = { id: string; type: string | string[] } & Record<string, unknown>;

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  constructor(status: number, problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
  /** The short name of the problem type, e.g. BadRequestData. */
  get kind(): string {
    return (this.problem.type ?? '').split('/').pop() ?? '';
  }
}

async function request(path: string, init: RequestInit = {}): Promise<Response> {
  let res: Response;
  try {
    res = await apiFetch(base + path, {
      ...init,
      headers: { Accept: 'application/json', ...(init.headers ?? {}) },
    });
  } catch (err) {
    throw new ApiError(0, { title: 'NetworkError', detail: err instanceof Error ? err.message : String(err) });
  }
  if (!res.ok) {
    let problem: Problem = { status: res.status, title: res.statusText };
    const ct = res.headers.get('Content-Type') ?? '';
    if (ct.includes('json')) {
      try {
        problem = { ...problem, ...((await res.json()) as Problem) };
      } catch {
        // keep the status line
      }
    }
    throw new ApiError(res.status, problem);
  }
  return res;
}

async function json<T>(res: Response): Promise<T> {
  const ct = res.headers.get('Content-Type') ?? '';
  if (!ct.includes('json')) {
    throw new ApiError(res.status, { title: 'UnexpectedResponse', detail: `Content-Type ${ct || 'missing'}` });
  }
  return (await res.json()) as T;
}

/** GET /types: the names of the entity types that have entities. */
export async function getTypes(signal?: AbortSignal): Promise<string[]> {
  const body = await json<{ typeList?: string[] } | string[]>(await request('/types', { signal }));
  const list = Array.isArray(body) ? body : (body.typeList ?? []);
  return [...list].sort((a, b) => a.localeCompare(b));
}

export interface QueryParams {
  type?: string;
  q?: string;
  limit?: number;
  offset?: number;
  keyValues?: boolean;
  count?: boolean;
}

export interface QueryResult {
  entities: Entity[];
  /** NGSILD-Results-Count when count was asked for and answered. */
  total: number | null;
}

function queryString(p: QueryParams): string {
  const sp = new URLSearchParams();
  if (p.type) sp.set('type', p.type);
  if (p.q) sp.set('q', p.q);
  if (p.limit !== undefined) sp.set('limit', String(p.limit));
  if (p.offset) sp.set('offset', String(p.offset));
  if (p.count) sp.set('count', 'true');
  if (p.keyValues) sp.set('options', 'keyValues');
  return sp.toString();
}

/** GET /entities with the given query. */
export async function queryEntities(p: QueryParams, signal?: AbortSignal): Promise<QueryResult> {
  const res = await request('/entities?' + queryString(p), { signal });
  const header = res.headers.get('NGSILD-Results-Count');
  const total = header !== null && header !== '' && !Number.isNaN(Number(header)) ? Number(header) : null;
  const entities = p.limit === 0 ? [] : await json<Entity[]>(res);
  return { entities, total };
}

/** Counts the entities matching type (an NGSI-LD type expression) with count=true&limit=0. */
export async function countEntities(type: string, signal?: AbortSignal): Promise<number> {
  const { total } = await queryEntities({ type, limit: 0, count: true }, signal);
  return total ?? 0;
}

/** GET /entities/{id} in normalized form. */
export async function getEntity(id: string, signal?: AbortSignal): Promise<Entity> {
  return json<Entity>(await request('/entities/' + encodeURIComponent(id), { signal }));
}

/** The first type of an entity (entities may have several). */
export function typeOf(e: Entity): string {
  return Array.isArray(e.type) ? (e.type[0] ?? '') : e.type;
}

/** A GeoJSON geometry from a keyValues or normalized location attribute. */
export function locationOf(e: Entity): Geometry | null {
  let v = e.location as unknown;
  if (v && typeof v === 'object' && 'value' in v && (v as { type?: string }).type === 'GeoProperty') {
    v = (v as { value: unknown }).value;
  }
  if (!v || typeof v !== 'object') return null;
  const g = v as { type?: unknown; coordinates?: unknown; geometries?: unknown };
  if (typeof g.type !== 'string') return null;
  if (g.type === 'GeometryCollection' ? Array.isArray(g.geometries) : Array.isArray(g.coordinates)) {
    return g as Geometry;
  }
  return null;
}
