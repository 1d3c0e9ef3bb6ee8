import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import PaymentReturnView from './PaymentReturnView.vue'

describe('PaymentReturnView', () => {
  it('reports a completed payment as waiting for the confirmation, not as granted', () => {
    const wrapper = mount(PaymentReturnView, { props: { status: 'done' } })

    const section = wrapper.get('[data-testid="payment-return"]')
    expect(section.attributes('data-status')).toBe('done')
    expect(wrapper.get('h1').text()).toBe('Payment complete')
    expect(wrapper.text()).toContain('as soon as the payment provider confirms the payment')
    expect(wrapper.get('a.btn--primary').attributes('href')).toBe('#/purchases')
  })

  it.each([
    ['processing', 'Payment in progress'],
    ['failed', 'Payment failed'],
    ['not-paid', 'No payment made'],
    ['unknown', 'Payment status unknown'],
  ] as const)('names the %s outcome', (status, title) => {
    const wrapper = mount(PaymentReturnView, { props: { status } })

    expect(wrapper.get('h1').text()).toBe(title)
    expect(wrapper.findAll('a').map((a) => a.text())).toEqual(['My purchases', 'Back to the shop'])
  })
})
