import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, countEntities, getTypes, locationOf, queryEntities, type Entity } from './api/ngsild';

export interface TypeStat {
  type: string;
  count: number;
  /** Entities of the type that have a location, at most mapLimit of them. */
  located: Entity[];
  /** How many entities were fetched for the map. */
  fetched: number;
}

export interface Overview {
  types: TypeStat[];
  total: number;
  located: number;
  at: Date;
}

export const mapLimit = 500;

async function loadOverview(signal: AbortSignal): Promise<Overview> {
  const types = await getTypes(signal);
  const stats = await Promise.all(
    types.map(async (type): Promise<TypeStat> => {
      const [count, page] = await Promise.all([
        countEntities(type, signal),
        // A server with a smaller maximum page size refuses mapLimit: then
        // the map shows a smaller page rather than nothing.
        queryEntities({ type, limit: mapLimit, keyValues: true }, signal).catch((err: unknown) => {
          if (err instanceof ApiError && err.status !== 0) return queryEntities({ type, limit: 100, keyValues: true }, signal);
          throw err;
        }),
      ]);
      return {
        type,
        count,
        located: page.entities.filter((e) => locationOf(e) !== null),
        fetched: page.entities.length,
      };
    }),
  );
  // The total comes from one count over every type (an entity with two
  // types is counted once); with no types there is nothing to count.
  const total = types.length > 0 ? await countEntities(types.join(','), signal) : 0;
  return {
    types: stats,
    total,
    located: stats.reduce((s, t) => s + t.located.length, 0),
    at: new Date(),
  };
}

export interface OverviewState {
  data: Overview | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

/** Loads the overview and refreshes it every refreshMs. */
export function useOverview(refreshMs = 60_000): OverviewState {
  const [data, setData] = useState<Overview | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const ctl = useRef<AbortController | null>(null);

  const reload = useCallback(() => {
    ctl.current?.abort();
    const c = new AbortController();
    ctl.current = c;
    setLoading(true);
    loadOverview(c.signal)
      .then((d) => {
        setData(d);
        setError(null);
      })
      .catch((err: unknown) => {
        if (c.signal.aborted) return;
        setError(err instanceof ApiError ? err : new ApiError(0, { detail: String(err) }));
      })
      .finally(() => {
        if (!c.signal.aborted) setLoading(false);
      });
  }, []);

  useEffect(() => {
    reload();
    const timer = setInterval(reload, refreshMs);
    return () => {
      clearInterval(timer);
      ctl.current?.abort();
    };
  }, [reload, refreshMs]);

  return { data, error, loading, reload };
}
