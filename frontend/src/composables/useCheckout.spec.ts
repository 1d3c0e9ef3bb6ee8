import { flushPromises } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { effectScope } from 'vue'
import type { Order } from '@/api/types'
import { errorReply, makeItem, makeOrder, sessionReply, stubFetch, type Call } from '@/test/http'
import { useCheckout } from './useCheckout'

/** A fake backend whose order turns to `remote.status` whenever the test says so. */
function backend(remote: { status: Order['status'] }, extra?: (call: Call) => ReturnType<Parameters<typeof stubFetch>[0]> | undefined) {
  return stubFetch((call) => {
    const custom = extra?.(call)
    if (custom) return custom
    if (call.path === '/api/session') return sessionReply()
    if (call.path === '/api/orders' && call.method === 'POST') return { status: 201, body: makeOrder() }
    if (call.path === '/api/orders/1234567890123') return { body: makeOrder({ status: remote.status }) }
    return errorReply(404, 'NOT_FOUND', 'not here')
  })
}

const orderPolls = (calls: Call[]) => calls.filter((c) => c.method === 'GET' && c.path.startsWith('/api/orders/')).length

function setup(onSettled = vi.fn()) {
  const scope = effectScope()
  const checkout = scope.run(() => useCheckout(undefined, { onSettled }))!
  return { checkout, scope, onSettled }
}

describe('useCheckout', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('creates an order for one unit and shows it pending', async () => {
    const { calls } = backend({ status: 'pending' })
    const { checkout, scope } = setup()

    const done = checkout.buy(makeItem({ id: 1 }))
    expect(checkout.phase.value).toBe('creating')
    await done

    const post = calls.find((c) => c.method === 'POST' && c.path === '/api/orders')
    expect(post?.body).toEqual({ item_id: 1, quantity: 1 })
    expect(post?.headers.Authorization).toBe('Bearer token-1')
    expect(checkout.phase.value).toBe('open')
    expect(checkout.status.value).toBe('pending')
    expect(checkout.order.value?.order_id).toBe(1234567890123)
    scope.stop()
  })

  it('polls every 500 ms until paid, reports it once and stops', async () => {
    const remote = { status: 'pending' as Order['status'] }
    const { calls } = backend(remote)
    const { checkout, scope, onSettled } = setup()
    await checkout.buy(makeItem())

    await vi.advanceTimersByTimeAsync(499)
    expect(orderPolls(calls)).toBe(0)
    await vi.advanceTimersByTimeAsync(1)
    expect(orderPolls(calls)).toBe(1)
    await vi.advanceTimersByTimeAsync(500)
    expect(orderPolls(calls)).toBe(2)
    expect(checkout.status.value).toBe('pending')

    remote.status = 'paid'
    await vi.advanceTimersByTimeAsync(500)
    expect(checkout.status.value).toBe('paid')
    expect(onSettled).toHaveBeenCalledTimes(1)
    expect(onSettled.mock.calls[0]![0]).toMatchObject({ order_id: 1234567890123, status: 'paid' })

    await vi.advanceTimersByTimeAsync(5000)
    expect(orderPolls(calls)).toBe(3)
    scope.stop()
  })

  it('shows a canceled order as canceled', async () => {
    const remote = { status: 'pending' as Order['status'] }
    backend(remote)
    const { checkout, scope } = setup()
    await checkout.buy(makeItem())

    remote.status = 'canceled'
    await vi.advanceTimersByTimeAsync(500)

    expect(checkout.status.value).toBe('canceled')
    scope.stop()
  })

  it('stops polling when closed and when its owner goes away', async () => {
    const { calls } = backend({ status: 'pending' })
    const { checkout, scope } = setup()
    await checkout.buy(makeItem())
    await vi.advanceTimersByTimeAsync(500)
    checkout.close()
    await vi.advanceTimersByTimeAsync(3000)
    expect(orderPolls(calls)).toBe(1)
    expect(checkout.phase.value).toBe('closed')

    await checkout.buy(makeItem())
    scope.stop()
    await vi.advanceTimersByTimeAsync(3000)
    expect(orderPolls(calls)).toBe(1)
  })

  it('keeps polling through a network blip and says it is reconnecting', async () => {
    let offline = false
    const { calls } = backend({ status: 'pending' }, (call) => {
      if (offline && call.path.startsWith('/api/orders/')) throw new TypeError('Failed to fetch')
      return undefined
    })
    const { checkout, scope } = setup()
    await checkout.buy(makeItem())

    offline = true
    await vi.advanceTimersByTimeAsync(500)
    expect(checkout.reconnecting.value).toBe(true)
    expect(checkout.status.value).toBe('pending')
    offline = false
    await vi.advanceTimersByTimeAsync(500)

    expect(checkout.reconnecting.value).toBe(false)
    expect(orderPolls(calls)).toBe(2)
    scope.stop()
  })

  it('fails when the order cannot be created, and can try again', async () => {
    let broken = true
    backend({ status: 'pending' }, (call) =>
      broken && call.path === '/api/orders' ? errorReply(400, 'INVALID_PARAMETER', 'Unknown item') : undefined,
    )
    const { checkout, scope } = setup()
    await checkout.buy(makeItem())

    expect(checkout.status.value).toBe('failed')
    expect(checkout.failure.value?.message).toBe('Unknown item')

    broken = false
    await checkout.retry()
    expect(checkout.status.value).toBe('pending')
    scope.stop()
  })

  it('fails when the order disappears (404)', async () => {
    backend({ status: 'pending' }, (call) =>
      call.path.startsWith('/api/orders/') ? errorReply(404, 'NOT_FOUND', 'Order not found') : undefined,
    )
    const { checkout, scope } = setup()
    await checkout.buy(makeItem())
    await vi.advanceTimersByTimeAsync(500)

    expect(checkout.status.value).toBe('failed')
    scope.stop()
  })

  it('simulates the payment through the dev endpoint and checks the order at once', async () => {
    const remote = { status: 'pending' as Order['status'] }
    const { calls } = backend(remote, (call) => {
      if (call.path === '/api/dev/orders/1234567890123/pay') {
        remote.status = 'paid'
        return { body: { order_id: 1234567890123, status: 'paid', webhook_status: 204 } }
      }
      return undefined
    })
    const { checkout, scope, onSettled } = setup()
    await checkout.buy(makeItem())

    await checkout.simulatePayment()
    await flushPromises()

    expect(calls.some((c) => c.method === 'POST' && c.path === '/api/dev/orders/1234567890123/pay')).toBe(true)
    expect(checkout.status.value).toBe('paid')
    expect(onSettled).toHaveBeenCalledTimes(1)
    scope.stop()
  })

  it('never runs two polls at once and settles once when Simulate races the timer', async () => {
    const remote = { status: 'pending' as Order['status'] }
    let releaseSlowPoll: () => void = () => {}
    let slow = false
    const { calls } = backend(remote, (call) => {
      if (call.path === '/api/dev/orders/1234567890123/pay') {
        remote.status = 'paid'
        return { body: { order_id: 1234567890123, status: 'paid', webhook_status: 204 } }
      }
      if (slow && call.path === '/api/orders/1234567890123') {
        slow = false
        return new Promise((resolve) => {
          releaseSlowPoll = () => resolve({ body: makeOrder({ status: remote.status }) })
        })
      }
      return undefined
    })
    const { checkout, scope, onSettled } = setup()
    await checkout.buy(makeItem())

    slow = true
    await checkout.simulatePayment()
    expect(orderPolls(calls)).toBe(1)
    await vi.advanceTimersByTimeAsync(1000)
    expect(orderPolls(calls)).toBe(1)

    releaseSlowPoll()
    await flushPromises()
    await vi.advanceTimersByTimeAsync(1000)

    expect(checkout.status.value).toBe('paid')
    expect(onSettled).toHaveBeenCalledTimes(1)
    expect(orderPolls(calls)).toBe(1)
    scope.stop()
  })

  it('keeps polling a new order bought while an old poll was still out', async () => {
    let releaseSlowPoll: () => void = () => {}
    let slow = false
    const { calls } = backend({ status: 'pending' }, (call) => {
      if (slow && call.path.startsWith('/api/orders/')) {
        slow = false
        return new Promise((resolve) => {
          releaseSlowPoll = () => resolve({ body: makeOrder() })
        })
      }
      return undefined
    })
    const { checkout, scope } = setup()
    await checkout.buy(makeItem())
    slow = true
    await vi.advanceTimersByTimeAsync(500)

    checkout.close()
    await checkout.buy(makeItem())
    releaseSlowPoll()
    await vi.advanceTimersByTimeAsync(1000)

    expect(orderPolls(calls)).toBe(3)
    expect(checkout.status.value).toBe('pending')
    scope.stop()
  })

  it('reports a rejected simulated webhook', async () => {
    backend({ status: 'pending' }, (call) =>
      call.path.startsWith('/api/dev/') ? { body: { order_id: 1, status: 'pending', webhook_status: 400 } } : undefined,
    )
    const { checkout, scope } = setup()
    await checkout.buy(makeItem())
    await checkout.simulatePayment()

    expect(checkout.simulateError.value).toBe('The payment webhook was rejected (HTTP 400).')
    scope.stop()
  })

  it('sends the pre-opened window to the payment page when there is one', async () => {
    backend({ status: 'pending' }, (call) =>
      call.path === '/api/orders' && call.method === 'POST'
        ? { status: 201, body: makeOrder({ payment_url: 'https://pay.example/checkout?token=t' }) }
        : undefined,
    )
    const paymentWindow = { location: { href: '' }, close: vi.fn() } as unknown as Window
    const { checkout, scope } = setup()

    await checkout.buy(makeItem(), paymentWindow)

    expect(paymentWindow.location.href).toBe('https://pay.example/checkout?token=t')
    expect(paymentWindow.close).not.toHaveBeenCalled()
    scope.stop()
  })

  it('closes the pre-opened window when the order cannot be created', async () => {
    backend({ status: 'pending' }, (call) =>
      call.path === '/api/orders' ? errorReply(502, 'CHECKOUT_REJECTED', 'The payment provider refused this order') : undefined,
    )
    const paymentWindow = { location: { href: '' }, close: vi.fn() } as unknown as Window
    const { checkout, scope } = setup()

    await checkout.buy(makeItem(), paymentWindow)

    expect(paymentWindow.close).toHaveBeenCalledTimes(1)
    expect(paymentWindow.location.href).toBe('')
    expect(checkout.status.value).toBe('failed')
    expect(checkout.failure.value?.code).toBe('CHECKOUT_REJECTED')
    scope.stop()
  })

  it('closes the pre-opened window when the order has no payment page, or the panel closed first', async () => {
    let release: () => void = () => {}
    let hold = false
    backend({ status: 'pending' }, (call) => {
      if (hold && call.path === '/api/orders') {
        return new Promise((resolve) => {
          release = () => resolve({ status: 201, body: makeOrder({ payment_url: 'https://pay.example/?token=t' }) })
        })
      }
      return undefined
    })
    const { checkout, scope } = setup()
    const plain = { location: { href: '' }, close: vi.fn() } as unknown as Window
    await checkout.buy(makeItem(), plain)
    expect(plain.close).toHaveBeenCalledTimes(1)

    hold = true
    const late = { location: { href: '' }, close: vi.fn() } as unknown as Window
    const buying = checkout.buy(makeItem(), late)
    await flushPromises()
    checkout.close()
    release()
    await buying

    expect(late.close).toHaveBeenCalledTimes(1)
    expect(late.location.href).toBe('')
    scope.stop()
  })

  it('keeps the order pending with its payment page until the webhook marks it paid', async () => {
    const remote = { status: 'pending' as Order['status'] }
    backend(remote, (call) =>
      call.path === '/api/orders' && call.method === 'POST'
        ? { status: 201, body: makeOrder({ payment_url: 'https://pay.example/?token=t', token: 't' }) }
        : undefined,
    )
    const { checkout, scope, onSettled } = setup()
    await checkout.buy(makeItem(), { location: { href: '' }, close: vi.fn() } as unknown as Window)

    await vi.advanceTimersByTimeAsync(1000)
    expect(checkout.status.value).toBe('pending')
    expect(checkout.order.value?.payment_url).toBe('https://pay.example/?token=t')

    remote.status = 'paid'
    await vi.advanceTimersByTimeAsync(500)
    expect(checkout.status.value).toBe('paid')
    expect(onSettled).toHaveBeenCalledTimes(1)
    scope.stop()
  })
})
