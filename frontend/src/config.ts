// The one place the storefront reads configuration.

const env = import.meta.env

export const config = {
  apiBase: (env.VITE_API_BASE as string | undefined) ?? '/api',
  pageSize: 12,
  purchasesPageSize: 10,
  pollIntervalMs: 500,
  searchDebounceMs: 250,
  tokenStorageKey: 'store.session',
  // The simulator's default --url targets this origin; any other origin must be spelled out.
  simulatorDefaultOrigin: 'http://localhost:8000',
  knownItemTypes: ['skin', 'power_up', 'currency_pack', 'bundle'] as const,
  locale: (typeof document !== 'undefined' && document.documentElement.lang) || 'en-US',
}
