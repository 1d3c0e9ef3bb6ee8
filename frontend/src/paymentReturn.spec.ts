import { describe, expect, it } from 'vitest'
import { isPaymentReturn, readPaymentReturn } from './paymentReturn'

describe('readPaymentReturn', () => {
  it("reads Xsolla's status from the fragment's query", () => {
    expect(readPaymentReturn('#/return?user_id=test-user&foreigninvoice=ab12&invoice_id=77&status=done', '')).toBe('done')
    expect(readPaymentReturn('#/return?status=invoice', '')).toBe('processing')
    expect(readPaymentReturn('#/return?status=delivering', '')).toBe('processing')
    expect(readPaymentReturn('#/return?status=troubled', '')).toBe('failed')
  })

  it('reads it from the page query when Xsolla put it before the fragment', () => {
    expect(readPaymentReturn('#/return', '?user_id=test-user&invoice_id=77&status=done')).toBe('done')
  })

  it('treats a return without a status as nothing paid, and anything else as unknown', () => {
    expect(readPaymentReturn('#/return?user_id=test-user&invoice_id=', '')).toBe('not-paid')
    expect(readPaymentReturn('#/return', '')).toBe('not-paid')
    expect(readPaymentReturn('#/return?status=full_change', '')).toBe('unknown')
    expect(readPaymentReturn('#/return?status=<script>', '')).toBe('unknown')
  })

  it('recognises the return route with or without a query', () => {
    expect(isPaymentReturn('#/return')).toBe(true)
    expect(isPaymentReturn('#/return/?status=done')).toBe(true)
    expect(isPaymentReturn('#/')).toBe(false)
    expect(isPaymentReturn('#/purchases')).toBe(false)
    expect(isPaymentReturn('')).toBe(false)
  })
})

