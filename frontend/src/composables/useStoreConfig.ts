import { ref } from 'vue'
import { api, type ApiClient } from '@/api/client'
import type { StoreConfig } from '@/api/types'

const fallback: StoreConfig = { stage: 'unknown', dev_tools: false, checkout_provider: 'simulated' }

/** Dev tools stay hidden unless the server says otherwise; a missing config is not an error for players. */
export function useStoreConfig(client: ApiClient = api) {
  const storeConfig = ref<StoreConfig>(fallback)
  const loaded = ref(false)

  async function load() {
    try {
      storeConfig.value = { ...fallback, ...(await client.getConfig()) }
    } catch {
      storeConfig.value = fallback
    } finally {
      loaded.value = true
    }
  }

  return { storeConfig, loaded, load }
}
