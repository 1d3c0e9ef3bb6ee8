import { computed, getCurrentScope, onScopeDispose, ref, shallowRef } from 'vue'
import { api, isAbort, type ApiClient, type ApiError } from '@/api/client'
import type { Item, Order } from '@/api/types'
import { config } from '@/config'
import { toApiError } from './errors'

export type CheckoutStatus = 'pending' | 'paid' | 'canceled' | 'failed'
export type CheckoutPhase = 'closed' | 'creating' | 'open'

export interface CheckoutOptions {
  /** Called once when the order leaves `pending`. */
  onSettled?: (order: Order) => void
  pollIntervalMs?: number
}

export function useCheckout(client: ApiClient = api, options: CheckoutOptions = {}) {
  const interval = options.pollIntervalMs ?? config.pollIntervalMs
  const phase = ref<CheckoutPhase>('closed')
  const item = shallowRef<Item | null>(null)
  const order = shallowRef<Order | null>(null)
  const failure = shallowRef<ApiError | null>(null)
  const reconnecting = ref(false)
  const simulating = ref(false)
  const simulateError = ref<string | null>(null)

  const status = computed<CheckoutStatus | null>(() =>
    failure.value ? 'failed' : (order.value?.status ?? null),
  )

  // Each buy or close starts a new generation, so late answers from an older one are dropped.
  let generation = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  let controller: AbortController | null = null
  let polling = false
  let pollAgainAtOnce = false

  function stopPolling() {
    clearTimeout(timer)
    timer = undefined
    controller?.abort()
    controller = null
    polling = false
    pollAgainAtOnce = false
  }

  function schedule(gen: number, delay: number) {
    clearTimeout(timer)
    timer = setTimeout(() => void poll(gen), delay)
  }

  async function poll(gen: number) {
    const current = order.value
    if (!current || gen !== generation || current.status !== 'pending') return
    polling = true
    const own = new AbortController()
    controller = own
    try {
      const next = await client.getOrder(current.order_id, own.signal)
      if (gen !== generation) return
      reconnecting.value = false
      order.value = { ...current, ...next }
      if (next.status !== 'pending') {
        options.onSettled?.(order.value)
        return
      }
    } catch (caught) {
      if (isAbort(caught) || gen !== generation) return
      const error = toApiError(caught)
      if (error.status === 404) {
        failure.value = error
        return
      }
      reconnecting.value = true
    } finally {
      if (controller === own) {
        controller = null
        polling = false
      }
    }
    const delay = pollAgainAtOnce ? 0 : interval
    pollAgainAtOnce = false
    schedule(gen, delay)
  }

  function pollNow() {
    if (polling) pollAgainAtOnce = true
    else void poll(generation)
  }

  async function buy(selected: Item, paymentWindow: Window | null = null) {
    stopPolling()
    const gen = ++generation
    item.value = selected
    order.value = null
    failure.value = null
    reconnecting.value = false
    simulateError.value = null
    phase.value = 'creating'
    try {
      const created = await client.createOrder(selected.id, 1)
      if (gen !== generation) {
        paymentWindow?.close()
        return
      }
      order.value = created
      phase.value = 'open'
      if (created.payment_url && paymentWindow) paymentWindow.location.href = created.payment_url
      else paymentWindow?.close()
      if (created.status === 'pending') schedule(gen, interval)
      else options.onSettled?.(created)
    } catch (caught) {
      paymentWindow?.close()
      if (gen !== generation) return
      failure.value = toApiError(caught)
      phase.value = 'open'
    }
  }

  async function simulatePayment() {
    const current = order.value
    if (!current || simulating.value) return
    simulating.value = true
    simulateError.value = null
    try {
      const result = await client.simulatePayment(current.order_id)
      if (result.webhook_status >= 300) {
        simulateError.value = `The payment webhook was rejected (HTTP ${result.webhook_status}).`
      }
      pollNow()
    } catch (caught) {
      simulateError.value = toApiError(caught).message
    } finally {
      simulating.value = false
    }
  }

  function close() {
    generation++
    stopPolling()
    phase.value = 'closed'
  }

  if (getCurrentScope()) onScopeDispose(close)

  return {
    phase,
    item,
    order,
    status,
    failure,
    reconnecting,
    simulating,
    simulateError,
    buy,
    retry: () => (item.value ? buy(item.value) : Promise.resolve()),
    simulatePayment,
    close,
  }
}
