import { flushPromises } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { effectScope, nextTick } from 'vue'
import { errorReply, makeItem, page, stubFetch } from '@/test/http'
import { useItems } from './useItems'

function setup() {
  const scope = effectScope()
  const items = scope.run(() => useItems())!
  return { items, scope }
}

const lastQuery = (calls: { query: URLSearchParams }[]) => Object.fromEntries(calls.at(-1)!.query)

describe('useItems', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('loads the first page with no filters', async () => {
    const { calls } = stubFetch(() => ({ body: page([makeItem()], 1) }))
    const { items, scope } = setup()
    expect(items.loading.value).toBe(true)

    await flushPromises()

    expect(lastQuery(calls)).toEqual({ limit: '12', offset: '0' })
    expect(items.items.value.map((i) => i.sku)).toEqual(['skin-ember-blade'])
    expect(items.loading.value).toBe(false)
    scope.stop()
  })

  it('maps type and sort to query parameters and starts again at the first page', async () => {
    const { calls } = stubFetch(() => ({ body: page([makeItem()], 40) }))
    const { items, scope } = setup()
    await flushPromises()
    items.goTo(24)
    await flushPromises()
    expect(lastQuery(calls).offset).toBe('24')

    items.type.value = 'currency_pack'
    items.sort.value = '-price'
    await flushPromises()

    expect(lastQuery(calls)).toEqual({ limit: '12', offset: '0', type: 'currency_pack', sort: '-price' })
    scope.stop()
  })

  it('debounces the search box into q', async () => {
    const { calls } = stubFetch(() => ({ body: page([]) }))
    const { items, scope } = setup()
    await flushPromises()

    items.search.value = 'emb'
    await nextTick()
    items.search.value = 'ember'
    await vi.advanceTimersByTimeAsync(100)
    expect(calls).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(300)

    expect(calls).toHaveLength(2)
    expect(lastQuery(calls).q).toBe('ember')
    scope.stop()
  })

  it('applies the search at once on submit', async () => {
    const { calls } = stubFetch(() => ({ body: page([]) }))
    const { items, scope } = setup()
    await flushPromises()

    items.search.value = '  frost '
    items.applySearch()
    await flushPromises()

    expect(lastQuery(calls).q).toBe('frost')
    await vi.advanceTimersByTimeAsync(500)
    expect(calls).toHaveLength(2)
    scope.stop()
  })

  it('offers the known types plus any the server returns', async () => {
    stubFetch(() => ({ body: page([makeItem({ type: 'emote' }), makeItem({ id: 2, type: 'skin' })]) }))
    const { items, scope } = setup()
    await flushPromises()

    expect(items.types.value).toEqual(['skin', 'power_up', 'currency_pack', 'bundle', 'emote'])
    scope.stop()
  })

  it('keeps the error and clears it on a successful reload', async () => {
    let down = true
    stubFetch(() => (down ? errorReply(503, 'UNAVAILABLE', 'Database unavailable') : { body: page([makeItem()]) }))
    const { items, scope } = setup()
    await flushPromises()
    expect(items.error.value).toMatchObject({ status: 503, code: 'UNAVAILABLE' })
    expect(items.error.value?.message).toBe('The store is having trouble right now. Please try again.')

    down = false
    await items.reload()

    expect(items.error.value).toBeNull()
    expect(items.items.value).toHaveLength(1)
    scope.stop()
  })
})
