// PM2.5 of each air station over the session, as lines on a time axis,
// with the VN_AQI colour bands (by PM2.5 concentration) behind them. Fed by
// the live stream; loaded lazily with ECharts.
import { LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkAreaComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';
import { useI18n } from '../i18n';
import { pm25Bands } from '../live/domains';
import type { Pm25Series } from '../pages/Overview';

echarts.use([LineChart, GridComponent, LegendComponent, MarkAreaComponent, TooltipComponent, SVGRenderer]);

const lineColors = ['#7fdbff', '#ff9f43', '#e7a8ff', '#4dd4c6', '#ffd84d', '#ff7eb6', '#a0c4ff', '#caffbf', '#ffadad', '#b5d86a'];
const edges = [0, 25, 50, 80, 150, 250, 500];

export default function Pm25Chart({ series }: { series: Pm25Series[] }) {
  const { t, n, d } = useI18n();
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
    if (!c) return;
    const root = getComputedStyle(document.documentElement);
    const rem = parseFloat(root.fontSize) || 16;
    const fontFamily = root.fontFamily || 'sans-serif';
    let max = 0;
    let first = Infinity;
    let last = -Infinity;
    for (const s of series)
      for (const p of s.points) {
        if (p[1] > max) max = p[1];
        if (p[0] < first) first = p[0];
        if (p[0] > last) last = p[0];
      }
    // At least the last 5 minutes, up to now: a few points do not stretch the axis over days.
    const xMax = Math.max(last, Date.now());
    const xMin = Math.min(first, xMax - 5 * 60_000);
    const top = edges.find((e) => e >= max * 1.15 && e > 0) ?? 500;
    const shown = series.slice(0, 20);
    // Station names without the words every station name starts with.
    const short = (nm: string) => nm.replace(/^(Trạm quan trắc( không khí)?|Air (quality )?station)\s+/i, '') || nm;
    c.setOption(
      {
        animation: false,
        textStyle: { fontFamily, fontSize: 0.8 * rem, color: '#dbe6f2' },
        grid: { left: 0.5 * rem, right: 1 * rem, top: 0.8 * rem, bottom: 2.2 * rem, containLabel: true },
        legend: {
          bottom: 0,
          type: 'scroll',
          pageTextStyle: { color: '#dbe6f2' },
          pageIconColor: '#dbe6f2',
          textStyle: { color: '#dbe6f2', fontSize: 0.75 * rem, fontFamily },
          itemWidth: 1 * rem,
          itemHeight: 0.5 * rem,
        },
        tooltip: {
          trigger: 'axis',
          valueFormatter: (v: unknown) => `${n(Number(v), { maximumFractionDigits: 1 })} µg/m³`,
        },
        xAxis: {
          type: 'time',
          min: xMin,
          max: xMax,
          axisLabel: {
            color: '#b8c7d8',
            fontSize: 0.7 * rem,
            fontFamily,
            hideOverlap: true,
            formatter: (v: number) => d(v, { hour: '2-digit', minute: '2-digit' }),
          },
          splitLine: { show: false },
        },
        yAxis: {
          type: 'value',
          min: 0,
          max: top,
          axisLabel: { color: '#b8c7d8', fontSize: 0.7 * rem, fontFamily, formatter: (v: number) => n(v) },
          splitLine: { lineStyle: { color: '#2a3a4d' } },
        },
        series: shown.map((s, i) => ({
          name: short(s.name),
          type: 'line',
          showSymbol: s.points.length < 3,
          symbolSize: 0.4 * rem,
          lineStyle: { width: 0.14 * rem },
          color: lineColors[i % lineColors.length],
          data: s.points,
          ...(i === 0
            ? {
                markArea: {
                  silent: true,
                  data: pm25Bands
                    .map((b, k) => [
                      { yAxis: edges[k], itemStyle: { color: b.color, opacity: 0.09 } },
                      { yAxis: edges[k + 1] },
                    ])
                    .filter((pair) => (pair[0].yAxis as number) < top),
                },
              }
            : {}),
        })),
      },
      true,
    );
  }, [series, n, d]);

  const latest = series.map((s) => ({ name: s.name, v: s.points[s.points.length - 1]?.[1] }));
  return (
    <div className="pm25-chart-wrap">
      <div ref={el} className="pm25-chart" role="img" aria-label={t('chart.pm25Label')} data-testid="pm25-chart" />
      <p className="muted chart-method">{t('chart.pm25Method')}</p>
      <ul className="visually-hidden">
        {latest.map((s) => (
          <li key={s.name}>
            {s.name}: {s.v !== undefined ? n(s.v, { maximumFractionDigits: 1 }) : '—'} µg/m³
          </li>
        ))}
      </ul>
    </div>
  );
}
