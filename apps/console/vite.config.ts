import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Served by the ingress at /console (services/ingress/src/console.ts); built into <dist>/console,
// FLOWGATE_DIST_DIR as in scripts/build.mjs. No inline scripts or styles: the CSP allows 'self' only.
const root = import.meta.dirname;
export default defineConfig({
  root,
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: resolve(root, '../..', process.env.FLOWGATE_DIST_DIR || 'dist', 'console'),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
  },
});
