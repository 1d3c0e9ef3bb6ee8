import { getCurrentScope, onScopeDispose, ref, shallowRef } from 'vue'
import { api, isAbort, type ApiClient, type ApiError } from '@/api/client'
import type { Page, Purchase } from '@/api/types'
import { config } from '@/config'
import { toApiError } from './errors'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export function usePurchases(client: ApiClient = api) {
  const purchases = shallowRef<Purchase[]>([])
  const page = ref<Page>({ limit: config.purchasesPageSize, offset: 0, total: 0 })
  const loading = ref(false)
  const loaded = ref(false)
  const error = shallowRef<ApiError | null>(null)
  let controller: AbortController | null = null
  let disposed = false

  async function load(offset = page.value.offset): Promise<boolean> {
    controller?.abort()
    const current = new AbortController()
    controller = current
    loading.value = true
    error.value = null
    try {
      const result = await client.listPurchases(
        { limit: config.purchasesPageSize, offset },
        current.signal,
      )
      if (controller !== current) return false
      purchases.value = result.data
      page.value = result.page
      loaded.value = true
      return true
    } catch (caught) {
      if (isAbort(caught) || controller !== current) return false
      error.value = toApiError(caught)
      return false
    } finally {
      if (controller === current) loading.value = false
    }
  }

  /**
   * Show the first page until it holds `orderId`. The order can read as paid a moment before the
   * server's purchase cache is invalidated, so one refresh may still miss the new row.
   */
  async function refreshUntilListed(orderId: number, attempts = 6, delayMs = config.pollIntervalMs) {
    for (let attempt = 0; attempt < attempts && !disposed; attempt++) {
      if (attempt > 0) await sleep(delayMs)
      const ok = await load(0)
      if (ok && purchases.value.some((purchase) => purchase.order_id === orderId)) return true
    }
    return false
  }

  if (getCurrentScope()) {
    onScopeDispose(() => {
      disposed = true
      controller?.abort()
    })
  }

  return { purchases, page, loading, loaded, error, load, refreshUntilListed }
}
