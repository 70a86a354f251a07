// One colour per entity type, stable across reloads and screens. Known
// types get fixed colours; others take the next free palette colour by a
// hash of their name. All colours pass 3:1 against the dark map background.
const known: Record<string, string> = {
  AirQualityObserved: '#4cd18a',
  TrafficFlowObserved: '#ff9f43',
  WaterQualityObserved: '#3fb8ff',
  WeatherObserved: '#c3a6ff',
  Streetlight: '#ffd84d',
  WasteContainer: '#b5d86a',
  ParkingSpot: '#ff7eb6',
  Device: '#9fb4c8',
};

const palette = ['#ff6b6b', '#4dd4c6', '#f7b267', '#a0c4ff', '#e7a8ff', '#9ae66e', '#ffd6a5', '#7fdbff', '#ffadad', '#caffbf'];

export function typeColor(type: string): string {
  const short = type.split(/[/#:]/).pop() ?? type;
  if (known[short]) return known[short];
  let h = 0;
  for (const ch of type) h = (h * 31 + ch.codePointAt(0)!) >>> 0;
  return palette[h % palette.length];
}
