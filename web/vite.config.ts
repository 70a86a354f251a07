import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

// The Go server the dev server forwards API calls to (`dothi serve`).
const api = process.env.DOTHI_API ?? 'http://127.0.0.1:8080';

// Vite empties dist/ before a build; web/dist/.gitkeep must survive so that
// `go build` (//go:embed all:dist) works from a fresh checkout.
function keepGitkeep(): Plugin {
  return {
    name: 'dothi-keep-gitkeep',
    apply: 'build',
    closeBundle() {
      writeFileSync(resolve(import.meta.dirname, 'dist/.gitkeep'), '');
    },
  };
}

export default defineConfig({
  plugins: [react(), keepGitkeep()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 700,
    rolldownOptions: {
      output: {
        // Leaflet and React change rarely: separate chunks cache well.
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/ },
            { name: 'leaflet', test: /node_modules[\\/]leaflet[\\/]/ },
          ],
        },
      },
    },
  },
  server: {
    port: 5173,
    proxy: {
      '/ngsi-ld': api,
      '/api': api,
      '/readyz': api,
      '/healthz': api,
    },
  },
  preview: {
    proxy: {
      '/ngsi-ld': api,
      '/api': api,
    },
  },
});
