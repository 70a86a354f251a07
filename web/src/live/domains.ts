// The map layers of the operations centre: one per domain type, each with
// the colour bands its markers take from their latest values.
import type { MessageKey } from '../i18n';
import type { LiveEntity } from './store';

export interface Band {
  color: string;
  label: MessageKey;
}

/** A popup row: an attribute, its label and the unit shown after its value. */
export interface Row {
  attr: string;
  label: string;
  unit?: string;
  /** Multiply the value before showing it (fractions as %). */
  scale?: number;
  digits?: number;
}

export interface Layer {
  /** The entity type (short name). */
  type: string;
  name: MessageKey;
  /** What the colours mean, shown above the bands in the legend. */
  bandsTitle?: MessageKey;
  bands: Band[];
  /** The band of an entity (an index into bands). */
  band: (e: LiveEntity) => number;
  rows: Row[];
  /** Shape of the marker: buses are squares and glide between positions. */
  shape?: 'dot' | 'bus';
}

const num = (e: LiveEntity, attr: string): number | null => {
  const v = e.values[attr];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
};

// VN_AQI colours (QĐ 1459/QĐ-TCMT, Bảng 1) on the PM2.5 breakpoints of
// Bảng 2 (µg/m³): an approximation by the current concentration, not the
// NowCast AQI, and labelled as such.
export const pm25Bands: Band[] = [
  { color: '#00e400', label: 'band.aqi1' },
  { color: '#ffff00', label: 'band.aqi2' },
  { color: '#ff7e00', label: 'band.aqi3' },
  { color: '#ff0000', label: 'band.aqi4' },
  { color: '#8f3f97', label: 'band.aqi5' },
  { color: '#7e0023', label: 'band.aqi6' },
];
const pm25Edges = [25, 50, 80, 150, 250];

export function pm25Band(v: number): number {
  let i = 0;
  while (i < pm25Edges.length && v > pm25Edges[i]) i++;
  return i;
}

const unknown: Band = { color: '#8a9bb0', label: 'band.unknown' };

export const layers: Layer[] = [
  {
    type: 'AirQualityObserved',
    name: 'layer.air',
    bandsTitle: 'band.pm25Title',
    bands: [...pm25Bands, unknown],
    band: (e) => {
      const v = num(e, 'pm25');
      return v === null ? 6 : pm25Band(v);
    },
    rows: [
      { attr: 'pm25', label: 'PM2.5', unit: 'µg/m³', digits: 1 },
      { attr: 'pm10', label: 'PM10', unit: 'µg/m³', digits: 1 },
      { attr: 'no2', label: 'NO₂', unit: 'µg/m³', digits: 1 },
      { attr: 'o3', label: 'O₃', unit: 'µg/m³', digits: 1 },
      { attr: 'co', label: 'CO', unit: 'µg/m³', digits: 0 },
      { attr: 'temperature', label: 'popup.temperature', unit: '°C', digits: 1 },
    ],
  },
  {
    type: 'WaterQualityObserved',
    name: 'layer.water',
    bands: [{ color: '#3fb8ff', label: 'band.station' }],
    band: () => 0,
    rows: [
      { attr: 'pH', label: 'pH', digits: 2 },
      { attr: 'o2', label: 'DO', unit: 'mg/L', digits: 2 },
      { attr: 'bod5', label: 'BOD₅', unit: 'mg/L', digits: 2 },
      { attr: 'cod', label: 'COD', unit: 'mg/L', digits: 2 },
      { attr: 'turbidity', label: 'popup.turbidity', unit: 'NTU', digits: 1 },
      { attr: 'temperature', label: 'popup.temperature', unit: '°C', digits: 1 },
    ],
  },
  {
    type: 'TrafficFlowObserved',
    name: 'layer.traffic',
    bandsTitle: 'band.trafficTitle',
    bands: [
      { color: '#2ecc71', label: 'band.free' },
      { color: '#ffb020', label: 'band.busy' },
      { color: '#ff3b30', label: 'band.congested' },
      unknown,
    ],
    band: (e) => {
      if (e.values.congested === true) return 2;
      const occ = num(e, 'occupancy');
      if (occ === null) return e.values.congested === false ? 0 : 3;
      return occ >= 0.15 ? 1 : 0;
    },
    rows: [
      { attr: 'intensity', label: 'popup.intensity', unit: 'popup.vehPerHour', digits: 0 },
      { attr: 'averageVehicleSpeed', label: 'popup.speed', unit: 'km/h', digits: 1 },
      { attr: 'occupancy', label: 'popup.occupancy', unit: '%', scale: 100, digits: 0 },
      { attr: 'congested', label: 'popup.congested' },
    ],
  },
  {
    type: 'FloodMonitoring',
    name: 'layer.flood',
    bandsTitle: 'band.floodTitle',
    bands: [
      { color: '#2ecc71', label: 'band.normal' },
      { color: '#ffb020', label: 'band.alert' },
      { color: '#ff3b30', label: 'band.danger' },
      unknown,
    ],
    band: (e) => {
      const lvl = num(e, 'currentLevel');
      if (lvl === null) return 3;
      const danger = num(e, 'dangerLevel');
      const alert = num(e, 'alertLevel');
      if (danger !== null && lvl >= danger) return 2;
      if (alert !== null && lvl >= alert) return 1;
      return 0;
    },
    rows: [
      { attr: 'currentLevel', label: 'popup.level', unit: 'm', digits: 2 },
      { attr: 'alertLevel', label: 'popup.alertLevel', unit: 'm', digits: 2 },
      { attr: 'dangerLevel', label: 'popup.dangerLevel', unit: 'm', digits: 2 },
    ],
  },
  {
    type: 'Streetlight',
    name: 'layer.light',
    bandsTitle: 'band.lightTitle',
    bands: [
      { color: '#ffd84d', label: 'band.on' },
      { color: '#5b6b7e', label: 'band.off' },
      { color: '#ff3b30', label: 'band.defective' },
    ],
    band: (e) => {
      const s = e.values.status;
      if (typeof s === 'string' && s !== 'ok') return 2;
      return e.values.powerState === 'on' ? 0 : 1;
    },
    rows: [
      { attr: 'powerState', label: 'popup.power' },
      { attr: 'status', label: 'popup.status' },
      { attr: 'illuminanceLevel', label: 'popup.illuminance', unit: '%', scale: 100, digits: 0 },
    ],
  },
  {
    type: 'WasteContainer',
    name: 'layer.waste',
    bandsTitle: 'band.wasteTitle',
    bands: [
      { color: '#2ecc71', label: 'band.fillLow' },
      { color: '#ffb020', label: 'band.fillMid' },
      { color: '#ff3b30', label: 'band.fillHigh' },
      unknown,
    ],
    band: (e) => {
      const f = num(e, 'fillingLevel');
      if (f === null) return 3;
      return f >= 0.8 ? 2 : f >= 0.5 ? 1 : 0;
    },
    rows: [
      { attr: 'fillingLevel', label: 'popup.filling', unit: '%', scale: 100, digits: 0 },
      { attr: 'temperature', label: 'popup.temperature', unit: '°C', digits: 1 },
    ],
  },
  {
    type: 'Vehicle',
    name: 'layer.bus',
    bandsTitle: 'band.busTitle',
    bands: [
      { color: '#c3a6ff', label: 'band.moving' },
      { color: '#8a9bb0', label: 'band.stopped' },
    ],
    band: (e) => ((num(e, 'speed') ?? 0) > 0.5 ? 0 : 1),
    rows: [
      { attr: 'routeId', label: 'popup.route' },
      { attr: 'speed', label: 'popup.speed', unit: 'km/h', digits: 0 },
      { attr: 'serviceStatus', label: 'popup.status' },
    ],
    shape: 'bus',
  },
];

export const layerOf = new Map(layers.map((l) => [l.type, l]));
