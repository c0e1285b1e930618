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
    // One bundle read from the local disk (Electron) or loopback (the shell), never a network:
    // Vite's 500 kB warning is for web pages. React, zod and libphonenumber-js's metadata
    // (numbers for people, docs/ui.md §8) come to about 510 kB.
    chunkSizeWarningLimit: 800,
  },
  server: { host: '127.0.0.1' },
});
