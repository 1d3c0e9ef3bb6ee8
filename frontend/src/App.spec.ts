import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Order, Purchase } from '@/api/types'
import { errorReply, makeItem, makeOrder, makePurchase, page, sessionReply, stubFetch } from '@/test/http'
import App from './App.vue'

interface Backend {
  devTools: boolean
  provider: string
  paymentUrl?: string
  createFails?: boolean
  orderStatus: Order['status']
  purchases: Purchase[]
  validToken: string
  sessions: number
}

function fakeBackend(state: Backend) {
  return stubFetch((call) => {
    const authorized = call.headers.Authorization === `Bearer ${state.validToken}`
    switch (`${call.method} ${call.path}`) {
      case 'GET /api/config':
        return { body: { stage: 'local', dev_tools: state.devTools, checkout_provider: state.provider } }
      case 'POST /api/session':
        state.sessions += 1
        return sessionReply(`token-${state.sessions}`)
      case 'GET /api/items':
        return { body: page([makeItem(), makeItem({ id: 2, sku: 'boost-2x', name: 'Double XP', type: 'power_up' })]) }
    }
    if (!authorized) return errorReply(401, 'UNAUTHORIZED', 'Missing or invalid token')
    if (call.path === '/api/purchases') return { body: page(state.purchases, state.purchases.length, 10) }
    if (call.method === 'POST' && call.path === '/api/orders') {
      if (state.createFails) return errorReply(502, 'CHECKOUT_REJECTED', 'The payment provider refused this order')
      const payment = state.paymentUrl ? { payment_url: state.paymentUrl, token: 't' } : {}
      return { status: 201, body: makeOrder(payment) }
    }
    if (call.path === '/api/orders/1234567890123') return { body: makeOrder({ status: state.orderStatus }) }
    return errorReply(404, 'NOT_FOUND', 'Not found')
  })
}

const newState = (overrides: Partial<Backend> = {}): Backend => ({
  devTools: true,
  provider: 'simulated',
  orderStatus: 'pending',
  purchases: [],
  validToken: 'token-1',
  sessions: 0,
  ...overrides,
})

describe('App', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    window.location.hash = ''
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('buys an item: pending, then paid, and the purchase appears without a reload', async () => {
    const state = newState()
    fakeBackend(state)
    const wrapper = mount(App, { attachTo: document.body })
    await flushPromises()
    expect(wrapper.findAll('[data-testid="item-card"]')).toHaveLength(2)
    expect(wrapper.text()).toContain('No purchases yet')

    await wrapper.get('[data-testid="item-card"] [data-testid="buy-button"]').trigger('click')
    await flushPromises()
    const status = () => wrapper.get('[data-testid="checkout-status"]')
    expect(status().attributes('data-status')).toBe('pending')
    expect(status().attributes('data-order-id')).toBe('1234567890123')

    state.orderStatus = 'paid'
    state.purchases = [makePurchase({ quantity: 1, amount: '4.99' })]
    await vi.advanceTimersByTimeAsync(500)
    await flushPromises()

    expect(status().attributes('data-status')).toBe('paid')
    expect(status().text()).toContain('Purchase successful')
    const row = wrapper.get('[data-testid="purchase-row"][data-order-id="1234567890123"]')
    expect(row.get('[data-testid="purchase-status"]').text()).toBe('paid')
    wrapper.unmount()
  })

  it('keeps asking for the purchase list until the new order is listed', async () => {
    const state = newState({ orderStatus: 'paid' })
    const { calls } = fakeBackend(state)
    const wrapper = mount(App, { attachTo: document.body })
    await flushPromises()
    await wrapper.get('[data-testid="buy-button"]').trigger('click')
    await flushPromises()
    const purchaseCalls = () => calls.filter((c) => c.path === '/api/purchases').length
    const before = purchaseCalls()

    await vi.advanceTimersByTimeAsync(500)
    await flushPromises()
    expect(wrapper.find('[data-testid="purchase-row"]').exists()).toBe(false)

    state.purchases = [makePurchase()]
    await vi.advanceTimersByTimeAsync(500)
    await flushPromises()

    expect(wrapper.find('[data-testid="purchase-row"]').exists()).toBe(true)
    expect(purchaseCalls() - before).toBe(2)
    await vi.advanceTimersByTimeAsync(5000)
    expect(purchaseCalls() - before).toBe(2)
    wrapper.unmount()
  })

  it('gets a new session and retries once when the stored token is rejected', async () => {
    window.sessionStorage.setItem(
      'store.session',
      JSON.stringify({ token: 'stale', user: { id: 'test-user' }, expires_at: '2999-01-01T00:00:00Z' }),
    )
    const state = newState({ purchases: [makePurchase()] })
    const { calls } = fakeBackend(state)
    const wrapper = mount(App, { attachTo: document.body })
    await flushPromises()

    const auth = calls.filter((c) => c.path === '/api/purchases').map((c) => c.headers.Authorization)
    expect(auth).toEqual(['Bearer stale', 'Bearer token-1'])
    expect(wrapper.findAll('[data-testid="purchase-row"]')).toHaveLength(1)
    expect(wrapper.text()).toContain('test-user')
    wrapper.unmount()
  })

  it('hides Simulate payment when the server has no dev tools', async () => {
    fakeBackend(newState({ devTools: false }))
    const wrapper = mount(App, { attachTo: document.body })
    await flushPromises()

    await wrapper.get('[data-testid="buy-button"]').trigger('click')
    await flushPromises()

    expect(wrapper.get('[data-testid="checkout-status"]').attributes('data-status')).toBe('pending')
    expect(wrapper.findAll('button').some((b) => b.text() === 'Simulate payment')).toBe(false)
    expect(wrapper.get('dialog code').text()).toContain('--order-id 1234567890123')
    wrapper.unmount()
  })

  it('focuses My purchases when the route is #/purchases', async () => {
    fakeBackend(newState())
    const wrapper = mount(App, { attachTo: document.body })
    await flushPromises()

    window.location.hash = '#/purchases'
    window.dispatchEvent(new HashChangeEvent('hashchange'))
    await flushPromises()

    expect(document.activeElement?.id).toBe('purchases-heading')
    expect(wrapper.get('nav[aria-label="Main"] [aria-current="page"]').text()).toContain('My purchases')
    wrapper.unmount()
  })

  describe('with the Xsolla provider', () => {
    const PAY_URL = 'https://sandbox-secure.xsolla.com/paystation4/?token=t'

    function stubWindowOpen(orderPosts: () => number) {
      const opened: { win: Window; postsBefore: number }[] = []
      const open = vi.spyOn(window, 'open').mockImplementation(() => {
        const win = { location: { href: '' }, close: vi.fn(), opener: window } as unknown as Window
        opened.push({ win, postsBefore: orderPosts() })
        return win
      })
      return { open, opened }
    }

    afterEach(() => {
      vi.restoreAllMocks()
    })

    it('opens the window during the Buy click, then sends it to Pay Station and waits for the webhook', async () => {
      const state = newState({ provider: 'xsolla', devTools: false, paymentUrl: PAY_URL })
      const { calls } = fakeBackend(state)
      const { open, opened } = stubWindowOpen(() => calls.filter((c) => c.method === 'POST' && c.path === '/api/orders').length)
      const wrapper = mount(App, { attachTo: document.body })
      await flushPromises()

      await wrapper.get('[data-testid="buy-button"]').trigger('click')
      expect(open).toHaveBeenCalledTimes(1)
      expect(opened[0]!.postsBefore).toBe(0)
      await flushPromises()

      const win = opened[0]!.win
      expect(win.location.href).toBe(PAY_URL)
      expect(win.opener).toBeNull()
      const status = () => wrapper.get('[data-testid="checkout-status"]')
      expect(status().attributes('data-status')).toBe('pending')
      expect(wrapper.get(`a[href="${PAY_URL}"]`).text()).toBe('Open the payment page')

      state.orderStatus = 'paid'
      state.purchases = [makePurchase({ quantity: 1, amount: '4.99' })]
      await vi.advanceTimersByTimeAsync(500)
      await flushPromises()
      expect(status().attributes('data-status')).toBe('paid')
      expect(win.close).not.toHaveBeenCalled()
      wrapper.unmount()
    })

    it('closes the window when checkout fails, and opens a new one to try again', async () => {
      const state = newState({ provider: 'xsolla', paymentUrl: PAY_URL, createFails: true })
      const { calls } = fakeBackend(state)
      const { opened } = stubWindowOpen(() => calls.length)
      const wrapper = mount(App, { attachTo: document.body })
      await flushPromises()

      await wrapper.get('[data-testid="buy-button"]').trigger('click')
      await flushPromises()
      expect(opened[0]!.win.close).toHaveBeenCalledTimes(1)
      const status = wrapper.get('[data-testid="checkout-status"]')
      expect(status.attributes('data-status')).toBe('failed')
      expect(status.text()).toContain('The payment provider could not start this checkout.')

      state.createFails = false
      await wrapper.findAll('button').find((b) => b.text() === 'Try again')!.trigger('click')
      await flushPromises()
      expect(opened).toHaveLength(2)
      expect(opened[1]!.win.location.href).toBe(PAY_URL)
      wrapper.unmount()
    })

    it('opens no window with the simulated provider', async () => {
      const state = newState()
      const { calls } = fakeBackend(state)
      const { open } = stubWindowOpen(() => calls.length)
      const wrapper = mount(App, { attachTo: document.body })
      await flushPromises()

      await wrapper.get('[data-testid="buy-button"]').trigger('click')
      await flushPromises()

      expect(open).not.toHaveBeenCalled()
      expect(wrapper.get('[data-testid="checkout-status"]').attributes('data-status')).toBe('pending')
      wrapper.unmount()
    })
  })

  it("shows Pay Station's return status for display only, and leaves it on navigation", async () => {
    window.location.hash = '#/return?user_id=test-user&foreigninvoice=ab12&invoice_id=77&status=done'
    const { calls } = fakeBackend(newState())
    const wrapper = mount(App, { attachTo: document.body })
    await flushPromises()

    const view = wrapper.get('[data-testid="payment-return"]')
    expect(view.attributes('data-status')).toBe('done')
    expect(view.get('h1').text()).toBe('Payment complete')
    expect(calls.some((c) => c.method === 'POST' && c.path !== '/api/session')).toBe(false)

    window.location.hash = '#/'
    window.dispatchEvent(new HashChangeEvent('hashchange'))
    await flushPromises()
    expect(wrapper.find('[data-testid="payment-return"]').exists()).toBe(false)
    expect(wrapper.get('h1').text()).toBe('Gear up for the next run')
    wrapper.unmount()
  })
})
