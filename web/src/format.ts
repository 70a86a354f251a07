import type { I18n } from './i18n';

const isoDate = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** A short human form of an attribute value (keyValues or normalized). */
export function formatValue(v: unknown, i18n: I18n, max = 120): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return i18n.n(v, { maximumFractionDigits: 6 });
  if (typeof v === 'boolean') return i18n.t(v ? 'value.true' : 'value.false');
  if (typeof v === 'string') {
    if (isoDate.test(v)) return i18n.d(v);
    return v.length > max ? v.slice(0, max - 1) + '…' : v;
  }
  if (typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    // A normalized Property: show its value (with unit when there is one).
    if ((o.type === 'Property' || o.type === 'Relationship') && ('value' in o || 'object' in o)) {
      const inner = formatValue(o.value ?? o.object, i18n, max);
      return typeof o.unitCode === 'string' ? `${inner} ${o.unitCode}` : inner;
    }
    if (o.type === 'Point' && Array.isArray(o.coordinates)) {
      const [lon, lat] = o.coordinates as number[];
      const f = (x: number) => i18n.n(x, { maximumFractionDigits: 5 });
      return `${f(lat)}, ${f(lon)}`;
    }
  }
  const s = JSON.stringify(v);
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

/** The short name of a type or attribute IRI. */
export function shortName(name: string): string {
  if (!/^[a-z][a-z0-9+.-]*:/i.test(name) || name.startsWith('urn:')) return name;
  return name.split(/[/#]/).pop() || name;
}
