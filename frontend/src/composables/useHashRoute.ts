import { getCurrentScope, onScopeDispose, ref } from 'vue'

export type RouteName = 'store' | 'purchases'

export const routes: Record<RouteName, string> = {
  store: '#/',
  purchases: '#/purchases',
}

export function parseHash(hash: string): RouteName {
  const path = hash.replace(/^#/, '').split('?')[0]?.replace(/\/+$/, '') ?? ''
  return path === '/purchases' ? 'purchases' : 'store'
}

/** Hash routing: the backend serves only `/`, so every view must live behind the fragment. */
export function useHashRoute() {
  const route = ref<RouteName>(parseHash(window.location.hash))
  const update = () => {
    route.value = parseHash(window.location.hash)
  }
  window.addEventListener('hashchange', update)
  if (getCurrentScope()) onScopeDispose(() => window.removeEventListener('hashchange', update))
  return { route }
}
