// Builds the renderer into dist/renderer with relative URLs (base './'), so the same files
// load from file:// in Electron and from the browser shell's HTTP server. No Node imports
// here (renderer/ lint rule): Vite replaces import.meta.dirname in configs.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const here = import.meta.dirname;

export default defineConfig({
  root: here,
  base: './',
  plugins: [react()],
  build: {
    outDir: `${here}/../dist/renderer`,
    emptyOutDir: true,
    target: 'chrome120',
    // The polyfill is an inline-free module, but Electron and our Chromium support
    // modulepreload natively: keep the bundle small.
    modulePreload: { polyfill: false },
    sourcemap: true,
    assetsInlineLimit: 0,
  },
  server: { host: '127.0.0.1' },
});
