import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { ApiError } from '@/api/client'
import { makePurchase } from '@/test/http'
import PurchaseList from './PurchaseList.vue'

const basePage = { limit: 10, offset: 0, total: 2 }

describe('PurchaseList', () => {
  it('lists item, quantity, amount, status, date and order id per purchase', () => {
    const purchases = [
      makePurchase(),
      makePurchase({ id: 2, order_id: 99, status: 'canceled', amount: '5.00', currency: 'EUR', quantity: 1 }),
    ]
    const wrapper = mount(PurchaseList, {
      props: { purchases, page: basePage, loading: false, loaded: true, error: null },
    })

    const rows = wrapper.findAll('[data-testid="purchase-row"]')
    expect(rows.map((r) => r.attributes('data-order-id'))).toEqual(['1234567890123', '99'])
    const first = rows[0]!
    expect(first.get('h3').text()).toBe('Ember Blade')
    expect(first.get('[data-testid="purchase-status"]').text()).toBe('paid')
    const facts = Object.fromEntries(
      first.findAll('dt').map((dt, i) => [dt.text(), first.findAll('dd')[i]!.text()]),
    )
    expect(facts).toMatchObject({ Quantity: '2', Amount: '$9.98', Order: '1234567890123' })
    expect(first.get('time').attributes('datetime')).toBe('2026-12-04T20:01:02Z')
    expect(facts.Date).toMatch(/2026/)
    expect(rows[1]!.get('[data-testid="purchase-status"]').text()).toBe('canceled')
    expect(rows[1]!.text()).toContain('€5.00')
    expect(wrapper.get('[role="status"]').text()).toBe('2 purchases')
  })

  it('shows placeholders until the first load', () => {
    const wrapper = mount(PurchaseList, {
      props: { purchases: [], page: basePage, loading: true, loaded: false, error: null },
    })

    expect(wrapper.get('ul[aria-label="Loading purchases"]').attributes('aria-busy')).toBe('true')
    expect(wrapper.find('[data-testid="purchase-row"]').exists()).toBe(false)
  })

  it('explains the empty list', () => {
    const wrapper = mount(PurchaseList, {
      props: { purchases: [], page: { ...basePage, total: 0 }, loading: false, loaded: true, error: null },
    })

    expect(wrapper.text()).toContain('No purchases yet')
  })

  it('shows the error with a retry button', async () => {
    const wrapper = mount(PurchaseList, {
      props: {
        purchases: [],
        page: basePage,
        loading: false,
        loaded: false,
        error: new ApiError(0, 'network', 'Could not reach the store.'),
      },
    })

    const alert = wrapper.get('[role="alert"]')
    expect(alert.text()).toContain('Could not reach the store.')
    await alert.get('button').trigger('click')
    expect(wrapper.emitted('retry')).toHaveLength(1)
  })

  it('pages when there are more purchases than fit', async () => {
    const wrapper = mount(PurchaseList, {
      props: { purchases: [makePurchase()], page: { limit: 10, offset: 0, total: 25 }, loading: false, loaded: true, error: null },
    })

    const next = wrapper.findAll('button').find((b) => b.text().includes('Next'))!
    await next.trigger('click')

    expect(wrapper.emitted('go')?.[0]).toEqual([10])
  })
})
