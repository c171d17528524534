/**
 * Builds the 3D panel's test mount (standalone/index.html) into MODEL3D_OUT, served under
 * /model3d-test/ by the browser spec. Same plugins and worker format as the app's build.
 */
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/model3d-test/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: process.env.MODEL3D_OUT ?? join(tmpdir(), 'scan2print-model3d', 'model3d-test'),
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 8192,
    target: 'es2022',
  },
  worker: { format: 'es' },
});
