import { describe, expect, it } from 'vitest'
import { errorReply, makeOrder, page, sessionReply, stubFetch } from '@/test/http'
import { ApiError, createApiClient } from './client'

function memoryStorage() {
  const values = new Map<string, string>()
  return {
    getItem: (key: string) => values.get(key) ?? null,
    setItem: (key: string, value: string) => void values.set(key, value),
    removeItem: (key: string) => void values.delete(key),
  }
}

describe('api client', () => {
  it('creates a session once and sends its bearer token on purchases calls', async () => {
    const { calls } = stubFetch((call) =>
      call.path === '/api/session' ? sessionReply('abc') : { body: page([]) },
    )
    const client = createApiClient({ storage: memoryStorage() })

    await client.listPurchases({ limit: 10, offset: 0 })
    await client.listPurchases({ limit: 10, offset: 10 })

    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /api/session',
      'GET /api/purchases',
      'GET /api/purchases',
    ])
    expect(calls[0]?.body).toEqual({})
    expect(calls[1]?.headers.Authorization).toBe('Bearer abc')
    expect(calls[2]?.query.get('offset')).toBe('10')
  })

  it('shares one session request between concurrent calls', async () => {
    const { calls } = stubFetch((call) => (call.path === '/api/session' ? sessionReply() : { body: page([]) }))
    const client = createApiClient({ storage: memoryStorage() })

    await Promise.all([client.listPurchases({ limit: 1, offset: 0 }), client.getOrder(7)])

    expect(calls.filter((c) => c.path === '/api/session')).toHaveLength(1)
  })

  it('on a 401 fetches a new session and retries once', async () => {
    let sessions = 0
    const { calls } = stubFetch((call) => {
      if (call.path === '/api/session') return sessionReply(`token-${++sessions}`)
      return call.headers.Authorization === 'Bearer token-2'
        ? { status: 201, body: makeOrder() }
        : errorReply(401, 'UNAUTHORIZED', 'Invalid token')
    })
    const storage = memoryStorage()
    const client = createApiClient({ storage })

    const order = await client.createOrder(1, 1)

    expect(order.order_id).toBe(1234567890123)
    expect(calls.map((c) => c.path)).toEqual(['/api/session', '/api/orders', '/api/session', '/api/orders'])
    expect(calls[3]?.body).toEqual({ item_id: 1, quantity: 1 })
    expect(client.currentSession()?.token).toBe('token-2')
  })

  it('gives up after the retried request is rejected too', async () => {
    const { calls } = stubFetch((call) =>
      call.path === '/api/session' ? sessionReply() : errorReply(401, 'UNAUTHORIZED', 'Invalid token'),
    )
    const client = createApiClient({ storage: memoryStorage() })

    await expect(client.getOrder(5)).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED' })
    expect(calls.filter((c) => c.path === '/api/orders/5')).toHaveLength(2)
  })

  it('renews a stored session that is about to expire', async () => {
    const storage = memoryStorage()
    storage.setItem(
      'store.session',
      JSON.stringify({ token: 'old', user: { id: 'test-user' }, expires_at: '2026-01-01T00:00:10Z' }),
    )
    const { calls } = stubFetch((call) => (call.path === '/api/session' ? sessionReply('new') : { body: page([]) }))
    const client = createApiClient({ storage, now: () => Date.parse('2026-01-01T00:00:00Z') })

    await client.listPurchases({ limit: 1, offset: 0 })

    expect(calls[1]?.headers.Authorization).toBe('Bearer new')
  })

  it('turns the error envelope into an ApiError with code and message', async () => {
    stubFetch(() => errorReply(400, 'INVALID_PARAMETER', 'limit must be between 1 and 100'))
    const client = createApiClient({ storage: memoryStorage() })

    const error = await client.listItems({ limit: 500, offset: 0 }).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({ status: 400, code: 'INVALID_PARAMETER', message: 'limit must be between 1 and 100' })
  })

  it('gives a friendly message when the server answers without our envelope', async () => {
    stubFetch(() => ({ status: 502, body: undefined }))
    const client = createApiClient({ storage: memoryStorage() })

    await expect(client.getConfig()).rejects.toMatchObject({ status: 502, code: 'http_502' })
  })

  it("names the payment provider when it, not the store, failed the checkout", async () => {
    const replies = [
      errorReply(502, 'CHECKOUT_REJECTED', 'Xsolla internals for operators'),
      errorReply(504, 'CHECKOUT_UNAVAILABLE', 'Xsolla internals for operators'),
      errorReply(503, 'SERVICE_UNAVAILABLE', 'database down'),
    ]
    stubFetch((call) => (call.path === '/api/session' ? sessionReply() : replies.shift()!))
    const client = createApiClient({ storage: memoryStorage() })
    const messages: string[] = []
    for (let i = 0; i < 3; i++) messages.push(((await client.createOrder(1, 1).catch((e: unknown) => e)) as ApiError).message)

    expect(messages).toEqual([
      'The payment provider could not start this checkout. Please try again later.',
      'The payment provider did not answer in time. Please try again.',
      'The store is having trouble right now. Please try again.',
    ])
  })

  it('reports an unreachable server as status 0', async () => {
    stubFetch(() => {
      throw new TypeError('Failed to fetch')
    })
    const client = createApiClient({ storage: memoryStorage() })

    await expect(client.listItems({ limit: 1, offset: 0 })).rejects.toMatchObject({ status: 0, code: 'network' })
  })

  it('revalidates with If-None-Match and reuses the body on 304', async () => {
    const body = page([], 0)
    const { calls } = stubFetch((call) =>
      call.headers['If-None-Match'] === '"v1"' ? { status: 304 } : { body, headers: { ETag: '"v1"' } },
    )
    const client = createApiClient({ storage: memoryStorage() })

    const first = await client.listItems({ limit: 12, offset: 0, q: 'blade' })
    const second = await client.listItems({ limit: 12, offset: 0, q: 'blade' })

    expect(calls[0]?.headers['If-None-Match']).toBeUndefined()
    expect(calls[1]?.headers['If-None-Match']).toBe('"v1"')
    expect(second).toEqual(first)
  })

  it('leaves out empty query parameters', async () => {
    const { calls } = stubFetch(() => ({ body: page([]) }))
    const client = createApiClient({ storage: memoryStorage() })

    await client.listItems({ limit: 12, offset: 0, q: '', type: undefined, sort: 'price' })

    expect(Object.fromEntries(calls[0]!.query)).toEqual({ limit: '12', offset: '0', sort: 'price' })
  })
})
