import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The app is served by `scan2print serve` at / (same origin as /api), so the dev server
// proxies /api to a running one (SCAN2PRINT_API, default http://127.0.0.1:8080).
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 4096, target: 'es2022' },
  worker: { format: 'es' },
  server: { proxy: { '/api': process.env.SCAN2PRINT_API ?? 'http://127.0.0.1:8080' } },
});
