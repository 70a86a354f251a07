// Entities per type as a horizontal bar chart. This module (and ECharts
// with it) is loaded lazily, so the first screen does not wait for it.
import { BarChart } from 'echarts/charts';
import { GridComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';
import { typeColor } from '../colors';
import { shortName } from '../format';
import { useI18n } from '../i18n';
import { href, Link } from '../router';

echarts.use([BarChart, GridComponent, TooltipComponent, SVGRenderer]);

export interface Bar {
  type: string;
  count: number;
}

export default function TypeChart({ bars }: { bars: Bar[] }) {
  const { t, n } = useI18n();
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);

  useEffect(() => {
    if (!el.current) return;
    const c = echarts.init(el.current, null, { renderer: 'svg' });
    chart.current = c;
    const ro = new ResizeObserver(() => c.resize());
    ro.observe(el.current);
    return () => {
      ro.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    const c = chart.current;
    if (!c || !el.current) return;
    const root = getComputedStyle(document.documentElement);
    const rem = parseFloat(root.fontSize) || 16;
    // ECharts measures labels with this font: it must be a real family
    // list, not 'inherit', or long type names overflow the grid.
    const fontFamily = root.fontFamily || 'sans-serif';
    const sorted = [...bars].sort((a, b) => a.count - b.count);
    c.setOption(
      {
        animationDuration: 400,
        textStyle: { fontFamily, fontSize: 0.85 * rem, color: '#dbe6f2' },
        grid: { left: 0.5 * rem, right: 3 * rem, top: 0.5 * rem, bottom: 0.5 * rem, containLabel: true },
        tooltip: {
          trigger: 'axis',
          axisPointer: { type: 'shadow' },
          valueFormatter: (v: unknown) => n(Number(v)),
        },
        xAxis: {
          type: 'value',
          minInterval: 1,
          axisLabel: { color: '#b8c7d8', fontSize: 0.75 * rem, fontFamily, formatter: (v: number) => n(v) },
          splitLine: { lineStyle: { color: '#2a3a4d' } },
        },
        yAxis: {
          type: 'category',
          data: sorted.map((b) => shortName(b.type)),
          axisLabel: { color: '#dbe6f2', fontSize: 0.85 * rem, fontFamily },
          axisLine: { lineStyle: { color: '#4a5d73' } },
        },
        series: [
          {
            name: t('chart.series'),
            type: 'bar',
            barMaxWidth: 2 * rem,
            data: sorted.map((b) => ({ value: b.count, itemStyle: { color: typeColor(b.type), borderRadius: [0, 4, 4, 0] } })),
            label: { show: true, position: 'right', color: '#e8eef6', fontSize: 0.85 * rem, fontFamily, formatter: (p: { value: unknown }) => n(Number(p.value)) },
          },
        ],
      },
      true,
    );
  }, [bars, t, n]);

  return (
    <div className="type-chart-wrap">
      <div
        ref={el}
        className="type-chart"
        role="img"
        aria-label={t('chart.label')}
        style={{ height: `${Math.max(12, bars.length * 2.6 + 3)}rem` }}
      />
      {/* The same figures as text (for screen readers too), each a way into the explorer. */}
      <table className="type-table">
        <caption className="visually-hidden">{t('chart.heading')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('chart.type')}</th>
            <th scope="col" className="num">
              {t('chart.series')}
            </th>
          </tr>
        </thead>
        <tbody>
          {[...bars]
            .sort((a, b) => b.count - a.count)
            .map((b) => (
              <tr key={b.type}>
                <th scope="row">
                  <span className="swatch" style={{ background: typeColor(b.type) }} aria-hidden="true" />
                  <Link to={href('/entities', { type: b.type })}>{shortName(b.type)}</Link>
                </th>
                <td className="num">{n(b.count)}</td>
              </tr>
            ))}
        </tbody>
      </table>
    </div>
  );
}
