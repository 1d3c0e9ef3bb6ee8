import { vi } from 'vitest'
import type { Item, Order, Purchase } from '@/api/types'

export interface Call {
  method: string
  path: string
  query: URLSearchParams
  headers: Record<string, string>
  body: unknown
}

export interface Reply {
  status?: number
  body?: unknown
  headers?: Record<string, string>
}

export type Handler = (call: Call) => Reply | Promise<Reply>

/** A Response stand-in: plain promises only, so fake timers cannot stall body reading. */
function reply({ status = 200, body, headers = {} }: Reply): Response {
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: new Headers(headers),
    json: async () => {
      if (body === undefined) throw new SyntaxError('Unexpected end of JSON input')
      return typeof body === 'string' ? JSON.parse(body) : body
    },
  } as Response
}

/** Stubs global fetch with `handler`; returns the list of calls it received. */
export function stubFetch(handler: Handler) {
  const calls: Call[] = []
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    if (init.signal?.aborted) throw new DOMException('aborted', 'AbortError')
    const url = new URL(String(input), 'http://store.test')
    const call: Call = {
      method: init.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: { ...(init.headers as Record<string, string>) },
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
    }
    calls.push(call)
    return reply(await handler(call))
  })
  vi.stubGlobal('fetch', fetchMock)
  return { calls, fetchMock }
}

export const sessionReply = (token = 'token-1'): Reply => ({
  status: 201,
  body: { token, user: { id: 'test-user' }, expires_at: '2999-01-01T00:00:00Z' },
})

export const errorReply = (status: number, code: string, message: string): Reply => ({
  status,
  body: { error: { code, message } },
})

export function makeItem(overrides: Partial<Item> = {}): Item {
  return {
    id: 1,
    sku: 'skin-ember-blade',
    name: 'Ember Blade',
    description: 'A blade that still glows from the forge.',
    type: 'skin',
    price: '4.99',
    currency: 'USD',
    image_url: null,
    created_at: '2026-12-01T10:00:00Z',
    ...overrides,
  }
}

export function makeOrder(overrides: Partial<Order> = {}): Order {
  return {
    order_id: 1234567890123,
    status: 'pending',
    amount: '4.99',
    currency: 'USD',
    items: [{ item_id: 1, sku: 'skin-ember-blade', name: 'Ember Blade', quantity: 1, amount: '4.99' }],
    user_id: 'test-user',
    ...overrides,
  }
}

export function makePurchase(overrides: Partial<Purchase> = {}): Purchase {
  return {
    id: 1,
    order_id: 1234567890123,
    item: { id: 1, sku: 'skin-ember-blade', name: 'Ember Blade' },
    quantity: 2,
    amount: '9.98',
    currency: 'USD',
    status: 'paid',
    purchased_at: '2026-12-04T20:01:02Z',
    ...overrides,
  }
}

export function page<T>(data: T[], total = data.length, limit = 12, offset = 0) {
  return { data, page: { limit, offset, total } }
}
