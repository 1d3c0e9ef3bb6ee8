import { config } from '@/config'
import type {
  DevPayResult,
  Item,
  ItemQuery,
  Order,
  Paginated,
  Purchase,
  PurchaseQuery,
  Session,
  StoreConfig,
} from './types'

/** Every failure the client reports: `status` 0 means the server could not be reached. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly details: unknown

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = details
  }
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError'
}

type Query = Record<string, string | number | undefined>

interface RequestOptions {
  query?: Query
  body?: unknown
  auth?: boolean
  signal?: AbortSignal
}

interface CachedResponse {
  etag: string
  body: unknown
}

const ETAG_CACHE_SIZE = 50
// Renew a little before the server would start rejecting the token.
const EXPIRY_MARGIN_MS = 30_000

function buildQuery(query: Query | undefined): string {
  if (!query) return ''
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(key, String(value))
  }
  const text = params.toString()
  return text ? `?${text}` : ''
}

// The payment provider's faults reach us as 502/504; players should know it was not the store.
const PROVIDER_MESSAGES: Record<string, string> = {
  CHECKOUT_REJECTED: 'The payment provider could not start this checkout. Please try again later.',
  CHECKOUT_UNAVAILABLE: 'The payment provider did not answer in time. Please try again.',
}

function friendlyMessage(status: number, code?: string): string {
  if (code && PROVIDER_MESSAGES[code]) return PROVIDER_MESSAGES[code]
  if (status >= 500) return 'The store is having trouble right now. Please try again.'
  if (status === 404) return 'We could not find that.'
  if (status === 401 || status === 403) return 'Your session has expired. Please try again.'
  return 'Something went wrong with that request.'
}

async function toApiError(response: Response): Promise<ApiError> {
  let payload: unknown
  try {
    payload = await response.json()
  } catch {
    payload = undefined
  }
  const error = (payload as { error?: { code?: unknown; message?: unknown; details?: unknown } })
    ?.error
  if (error && typeof error.code === 'string') {
    // A server fault's own text is for operators; players get the friendly one.
    const message =
      typeof error.message === 'string' && response.status < 500
        ? error.message
        : friendlyMessage(response.status, error.code)
    return new ApiError(response.status, error.code, message, error.details)
  }
  return new ApiError(response.status, `http_${response.status}`, friendlyMessage(response.status))
}

class MemoryStorage {
  private values = new Map<string, string>()
  getItem(key: string): string | null {
    return this.values.get(key) ?? null
  }
  setItem(key: string, value: string): void {
    this.values.set(key, value)
  }
  removeItem(key: string): void {
    this.values.delete(key)
  }
}

type KeyValueStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>

function defaultStorage(): KeyValueStorage {
  try {
    const probe = '__probe__'
    window.sessionStorage.setItem(probe, probe)
    window.sessionStorage.removeItem(probe)
    return window.sessionStorage
  } catch {
    return new MemoryStorage()
  }
}

export interface ApiClientOptions {
  base?: string
  storage?: KeyValueStorage
  now?: () => number
}

export type ApiClient = ReturnType<typeof createApiClient>

export function createApiClient(options: ApiClientOptions = {}) {
  const base = options.base ?? config.apiBase
  const storage = options.storage ?? defaultStorage()
  const now = options.now ?? Date.now
  const etags = new Map<string, CachedResponse>()
  const sessionListeners = new Set<(session: Session | null) => void>()
  let pendingSession: Promise<Session> | null = null

  function readSession(): Session | null {
    const raw = storage.getItem(config.tokenStorageKey)
    if (!raw) return null
    try {
      const session = JSON.parse(raw) as Session
      return typeof session.token === 'string' ? session : null
    } catch {
      return null
    }
  }

  function writeSession(session: Session | null): void {
    if (session) storage.setItem(config.tokenStorageKey, JSON.stringify(session))
    else storage.removeItem(config.tokenStorageKey)
    for (const listener of sessionListeners) listener(session)
  }

  function isFresh(session: Session): boolean {
    const expires = Date.parse(session.expires_at)
    return Number.isNaN(expires) || expires - EXPIRY_MARGIN_MS > now()
  }

  async function send(method: string, path: string, options: RequestOptions, token?: string) {
    const url = `${base}${path}${buildQuery(options.query)}`
    const headers: Record<string, string> = { Accept: 'application/json' }
    if (options.body !== undefined) headers['Content-Type'] = 'application/json'
    if (token) headers.Authorization = `Bearer ${token}`
    const cacheKey = method === 'GET' ? `${token ?? ''} ${url}` : null
    const cached = cacheKey ? etags.get(cacheKey) : undefined
    if (cached) headers['If-None-Match'] = cached.etag

    let response: Response
    try {
      response = await fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
        // ETags are handled here, so the browser cache must not answer for the server.
        cache: 'no-store',
      })
    } catch (error) {
      if (isAbort(error)) throw error
      throw new ApiError(0, 'network', 'Could not reach the store. Check your connection and try again.')
    }
    return { response, cacheKey, cached }
  }

  async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    let token = options.auth ? (await ensureSession()).token : undefined
    let attempt = await send(method, path, options, token)
    if (attempt.response.status === 401 && options.auth) {
      // A stale or rotated token: get a new session once, then give up.
      writeSession(null)
      token = (await ensureSession()).token
      attempt = await send(method, path, options, token)
    }
    const { response, cacheKey, cached } = attempt
    if (response.status === 304 && cached) return cached.body as T
    if (!response.ok) throw await toApiError(response)
    if (response.status === 204) return undefined as T
    let body: unknown
    try {
      body = await response.json()
    } catch (error) {
      if (isAbort(error)) throw error
      throw new ApiError(response.status, 'bad_response', 'The store sent a response we could not read.')
    }
    const etag = response.headers.get('ETag')
    if (cacheKey && etag) {
      etags.delete(cacheKey)
      etags.set(cacheKey, { etag, body })
      if (etags.size > ETAG_CACHE_SIZE) etags.delete(etags.keys().next().value as string)
    }
    return body as T
  }

  function ensureSession(): Promise<Session> {
    const current = readSession()
    if (current && isFresh(current)) return Promise.resolve(current)
    if (!pendingSession) {
      pendingSession = request<Session>('POST', '/session', { body: {} })
        .then((session) => {
          writeSession(session)
          return session
        })
        .finally(() => {
          pendingSession = null
        })
    }
    return pendingSession
  }

  return {
    ensureSession,
    currentSession: readSession,
    onSessionChange(listener: (session: Session | null) => void): () => void {
      sessionListeners.add(listener)
      return () => sessionListeners.delete(listener)
    },
    getConfig: (signal?: AbortSignal) => request<StoreConfig>('GET', '/config', { signal }),
    listItems: (query: ItemQuery, signal?: AbortSignal) =>
      request<Paginated<Item>>('GET', '/items', { query: { ...query }, signal }),
    listPurchases: (query: PurchaseQuery, signal?: AbortSignal) =>
      request<Paginated<Purchase>>('GET', '/purchases', { query: { ...query }, auth: true, signal }),
    createOrder: (itemId: number, quantity: number) =>
      request<Order>('POST', '/orders', { body: { item_id: itemId, quantity }, auth: true }),
    getOrder: (orderId: number, signal?: AbortSignal) =>
      request<Order>('GET', `/orders/${orderId}`, { auth: true, signal }),
    simulatePayment: (orderId: number) =>
      request<DevPayResult>('POST', `/dev/orders/${orderId}/pay`, { body: {}, auth: true }),
  }
}

export const api = createApiClient()
