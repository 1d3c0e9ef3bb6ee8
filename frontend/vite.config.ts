import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

export default defineConfig({
  plugins: [vue()],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  build: {
    // The backend's CSP has no 'unsafe-inline' for scripts; the polyfill would be an inline script.
    modulePreload: { polyfill: false },
    // Keep every asset a file: the CSP allows data: images but not data: scripts or fonts.
    assetsInlineLimit: 0,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8000' },
  },
})
