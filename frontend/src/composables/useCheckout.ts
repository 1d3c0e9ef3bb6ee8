import { computed, getCurrentScope, onScopeDispose, ref, shallowRef } from 'vue'
import { api, type ApiClient, type ApiError } from '@/api/client'
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

  // Each buy or close starts a new generation; answers that arrive for an older one are dropped.
  // In-flight polls are left to finish rather than aborted: they are short, and an abort shows
  // up as a failed request in the browser for no benefit.
  let generation = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  let inFlight: number | null = null
  let pollAgainAtOnce = false
  let settledGeneration = -1

  function stopPolling() {
    clearTimeout(timer)
    timer = undefined
    pollAgainAtOnce = false
  }

  function schedule(gen: number, delay: number) {
    clearTimeout(timer)
    timer = setTimeout(() => void poll(gen), delay)
  }

  function settle(gen: number, settled: Order) {
    if (settledGeneration === gen) return
    settledGeneration = gen
    options.onSettled?.(settled)
  }

  async function poll(gen: number) {
    const current = order.value
    if (inFlight === gen || !current || gen !== generation || current.status !== 'pending') return
    inFlight = gen
    let again = true
    try {
      const next = await client.getOrder(current.order_id)
      if (gen !== generation) return
      reconnecting.value = false
      order.value = { ...current, ...next }
      if (next.status !== 'pending') {
        again = false
        settle(gen, order.value)
      }
    } catch (caught) {
      if (gen !== generation) return
      const error = toApiError(caught)
      if (error.status === 404) {
        again = false
        failure.value = error
      } else {
        reconnecting.value = true
      }
    } finally {
      if (inFlight === gen) inFlight = null
    }
    if (!again || gen !== generation) return
    const delay = pollAgainAtOnce ? 0 : interval
    pollAgainAtOnce = false
    schedule(gen, delay)
  }

  function pollNow() {
    if (inFlight === generation) {
      pollAgainAtOnce = true
      return
    }
    clearTimeout(timer)
    void poll(generation)
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
      else settle(gen, created)
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
