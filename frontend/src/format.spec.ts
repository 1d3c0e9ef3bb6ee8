import { describe, expect, it } from 'vitest'
import { formatMoney, typeLabel } from './format'
import { simulatorCommand } from './simulator'

describe('formatMoney', () => {
  it('formats decimal strings in the item currency', () => {
    expect(formatMoney('4.99', 'USD')).toBe('$4.99')
    expect(formatMoney('1234.5', 'EUR')).toBe('€1,234.50')
    expect(formatMoney('500', 'JPY')).toBe('¥500')
  })

  it('falls back to the raw text for an unknown currency code', () => {
    expect(formatMoney('3.00', 'not-a-currency')).toBe('3.00 not-a-currency')
  })
})

describe('typeLabel', () => {
  it('names known types and humanises new ones', () => {
    expect(typeLabel('power_up')).toBe('Power-up')
    expect(typeLabel('battle_pass')).toBe('Battle pass')
  })
})

describe('simulatorCommand', () => {
  const args = { orderId: 1234567890123, sku: 'skin-ember-blade', quantity: 1, userId: 'test-user' }

  it('omits --url for the simulator default origin', () => {
    expect(simulatorCommand({ ...args, origin: 'http://localhost:8000' })).toBe(
      'python scripts/simulate_webhook.py --order-id 1234567890123 --sku skin-ember-blade --quantity 1 --user test-user',
    )
  })

  it('points --url at any other origin', () => {
    expect(simulatorCommand({ ...args, origin: 'http://127.0.0.1:8000' })).toBe(
      'python scripts/simulate_webhook.py --order-id 1234567890123 --sku skin-ember-blade --quantity 1 --user test-user --url http://127.0.0.1:8000/api/webhooks/payment',
    )
  })
})
