// Leaflet.markercluster extends the global L: set it before the plugin loads.
import L from 'leaflet';

(globalThis as unknown as { L: typeof L }).L = L;

export default L;
