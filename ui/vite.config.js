// Builds the inbox into ui/dist; the phonebox binary serves index.html at / and the
// assets under /ui/. `npm run dev` proxies the API to a running `phonebox serve`.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  base: '/ui/',
  plugins: [svelte()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 400 },
  server: {
    proxy: {
      '/emulator': 'http://127.0.0.1:7676',
      '/api': 'http://127.0.0.1:7676',
    },
  },
});
