import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { errorReply, makeItem, page, stubFetch } from '@/test/http'
import StoreView from './StoreView.vue'

const twelve = Array.from({ length: 12 }, (_, i) =>
  makeItem({ id: i + 1, sku: `sku-${i + 1}`, name: `Item ${i + 1}`, price: `${i + 1}.50` }),
)

const lastQuery = (calls: { query: URLSearchParams }[]) => Object.fromEntries(calls.at(-1)!.query)

describe('StoreView', () => {
  it('shows a loading grid, then the items with formatted prices and the total', async () => {
    stubFetch(() => ({ body: page(twelve, 30) }))
    const wrapper = mount(StoreView)

    expect(wrapper.get('ul[aria-label="Loading items"]').attributes('aria-busy')).toBe('true')
    await flushPromises()

    const cards = wrapper.findAll('[data-testid="item-card"]')
    expect(cards).toHaveLength(12)
    expect(cards[2]!.attributes('data-sku')).toBe('sku-3')
    expect(cards[2]!.get('.card__price').text()).toBe('Price: $3.50')
    expect(wrapper.get('[role="status"]').text()).toBe('30 items found')
    expect(wrapper.get('nav[aria-label="Item pages"]').text()).toContain('Showing 1–12 of 30 items')
  })

  it('sends type and sort from the labelled controls', async () => {
    const { calls } = stubFetch(() => ({ body: page(twelve, 30) }))
    const wrapper = mount(StoreView)
    await flushPromises()

    const typeSelect = wrapper.get('#item-type')
    expect(wrapper.get('label[for="item-type"]').text()).toBe('Type')
    await typeSelect.setValue('power_up')
    await flushPromises()
    expect(lastQuery(calls)).toMatchObject({ type: 'power_up', offset: '0' })

    expect(wrapper.get('label[for="item-sort"]').text()).toBe('Sort by')
    await wrapper.get('#item-sort').setValue('-price')
    await flushPromises()
    expect(lastQuery(calls)).toMatchObject({ type: 'power_up', sort: '-price' })
  })

  it('searches on submit without waiting for the debounce', async () => {
    const { calls } = stubFetch(() => ({ body: page(twelve, 30) }))
    const wrapper = mount(StoreView)
    await flushPromises()

    await wrapper.get('input[type="search"]').setValue('blade')
    await wrapper.get('form[role="search"]').trigger('submit')
    await flushPromises()

    expect(lastQuery(calls)).toMatchObject({ q: 'blade', offset: '0' })
  })

  it('pages with Next and Previous', async () => {
    const { calls } = stubFetch((call) => {
      const offset = Number(call.query.get('offset'))
      return { body: page(twelve, 30, 12, offset) }
    })
    const wrapper = mount(StoreView)
    await flushPromises()
    const button = (name: RegExp) => wrapper.findAll('button').find((b) => name.test(b.text()))!

    expect(button(/Previous page/).attributes('disabled')).toBeDefined()
    await button(/Next page/).trigger('click')
    await flushPromises()
    expect(lastQuery(calls).offset).toBe('12')
    expect(wrapper.text()).toContain('Page 2 of 3')

    await button(/Next page/).trigger('click')
    await flushPromises()
    expect(lastQuery(calls).offset).toBe('24')
    expect(button(/Next page/).attributes('disabled')).toBeDefined()

    await button(/Previous page/).trigger('click')
    await flushPromises()
    expect(lastQuery(calls).offset).toBe('12')
  })

  it('says so when nothing matches, and clears the filters on request', async () => {
    const { calls } = stubFetch((call) => ({ body: call.query.has('q') ? page([], 0) : page(twelve, 30) }))
    const wrapper = mount(StoreView)
    await flushPromises()
    await wrapper.get('input[type="search"]').setValue('zzz')
    await wrapper.get('form').trigger('submit')
    await flushPromises()

    expect(wrapper.text()).toContain('No items match')
    const clear = wrapper.findAll('button').find((b) => b.text() === 'Clear filters')!
    await clear.trigger('click')
    await flushPromises()

    expect(calls.at(-1)!.query.has('q')).toBe(false)
    expect(wrapper.findAll('[data-testid="item-card"]')).toHaveLength(12)
  })

  it('shows an empty shop without filters', async () => {
    stubFetch(() => ({ body: page([], 0) }))
    const wrapper = mount(StoreView)
    await flushPromises()

    expect(wrapper.text()).toContain('The shop has no items yet')
  })

  it('shows a friendly error with a retry when the API is down', async () => {
    let down = true
    stubFetch(() => {
      if (down) throw new TypeError('Failed to fetch')
      return { body: page(twelve, 12) }
    })
    const wrapper = mount(StoreView)
    await flushPromises()

    const alert = wrapper.get('[role="alert"]')
    expect(alert.text()).toContain('Could not reach the store')
    down = false
    await alert.get('button').trigger('click')
    await flushPromises()

    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
    expect(wrapper.findAll('[data-testid="item-card"]')).toHaveLength(12)
  })

  it('passes the buy click up with the item', async () => {
    stubFetch(() => ({ body: page(twelve, 12) }))
    const wrapper = mount(StoreView)
    await flushPromises()

    await wrapper.findAll('[data-testid="buy-button"]')[1]!.trigger('click')

    expect((wrapper.emitted('buy')?.[0]?.[0] as { sku: string }).sku).toBe('sku-2')
  })

  it('shows the message of a rejected request, but not the text of a server fault', async () => {
    let status = 400
    stubFetch(() => errorReply(status, 'INVALID_PARAMETER', status === 400 ? 'q is too long' : 'pool exhausted'))
    const wrapper = mount(StoreView)
    await flushPromises()
    expect(wrapper.get('[role="alert"]').text()).toContain('q is too long')

    status = 500
    await wrapper.get('[role="alert"] button').trigger('click')
    await flushPromises()
    expect(wrapper.get('[role="alert"]').text()).toContain('The store is having trouble right now.')
    expect(wrapper.text()).not.toContain('pool exhausted')
  })
})
