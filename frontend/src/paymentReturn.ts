/**
 * What Xsolla's redirect after Pay Station says, for display only: the store grants items on
 * the signed order_paid webhook, never on this URL, which anyone can type.
 */
export type PaymentReturnStatus = 'done' | 'processing' | 'failed' | 'not-paid' | 'unknown'

const XSOLLA_STATUSES: Record<string, PaymentReturnStatus> = {
  done: 'done',
  invoice: 'processing',
  delivering: 'processing',
  troubled: 'failed',
}

/**
 * Xsolla appends its parameters to the return URL; with a hash route they may land in the
 * fragment (`/#/return?status=done`) or before it (`/?status=done#/return`), so both are read.
 */
export function readPaymentReturn(hash: string, search: string): PaymentReturnStatus {
  const queryStart = hash.indexOf('?')
  const fromHash = new URLSearchParams(queryStart >= 0 ? hash.slice(queryStart + 1) : '')
  const fromSearch = new URLSearchParams(search)
  const status = (fromHash.get('status') ?? fromSearch.get('status') ?? '').trim().toLowerCase()
  if (!status) return 'not-paid'
  return XSOLLA_STATUSES[status] ?? 'unknown'
}

/** Pay Station's redirect lands on `#/return` (XSOLLA_RETURN_URL), with Xsolla's query. */
export function isPaymentReturn(hash: string): boolean {
  const path = hash.replace(/^#/, '').split('?')[0]?.replace(/\/+$/, '') ?? ''
  return path === '/return'
}
