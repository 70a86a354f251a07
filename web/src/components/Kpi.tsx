import type { ReactNode } from 'react';

interface Props {
  label: string;
  value: number | null;
  format: (n: number) => string;
  /** What to show when value is 0. */
  zeroText: string;
  /** What to show when value is unknown (API unreachable). */
  unknownText: string;
  loading?: boolean;
  icon?: ReactNode;
  testId?: string;
  /** A line under the value (the worst station, a total). */
  note?: ReactNode;
  /** The unit after the number (not upper-cased with the label). */
  unit?: string;
}

export function Kpi({ label, value, format, zeroText, unknownText, loading, icon, testId, note, unit }: Props) {
  const empty = value === null || value === 0;
  return (
    <div className={'kpi' + (empty ? ' kpi--empty' : '')} data-testid={testId} aria-busy={loading || undefined}>
      <dt className="kpi__label">
        {icon}
        {label}
      </dt>
      <dd className="kpi__value">
        {value === null ? (
          <span className="kpi__note">{loading ? '…' : unknownText}</span>
        ) : (
          <>
            <span className="kpi__number">{format(value)}</span>
            {unit && <span className="kpi__unit">{unit}</span>}
            {value === 0 && <span className="kpi__note">{zeroText}</span>}
          </>
        )}
      </dd>
      {note && <dd className="kpi__sub">{note}</dd>}
    </div>
  );
}
