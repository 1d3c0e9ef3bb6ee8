import { describe, expect, it } from 'vitest'
import { parseHash } from './useHashRoute'

describe('parseHash', () => {
  it('maps the purchases fragment and sends everything else to the store', () => {
    expect(parseHash('#/purchases')).toBe('purchases')
    expect(parseHash('#/purchases/')).toBe('purchases')
    expect(parseHash('#/purchases?status=paid')).toBe('purchases')
    expect(parseHash('#/')).toBe('store')
    expect(parseHash('')).toBe('store')
    expect(parseHash('#/nope')).toBe('store')
  })
})
