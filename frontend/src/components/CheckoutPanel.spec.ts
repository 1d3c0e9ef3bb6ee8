import { mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { makeItem, makeOrder } from '@/test/http'
import CheckoutPanel from './CheckoutPanel.vue'

const baseProps = {
  phase: 'open' as const,
  item: makeItem(),
  order: makeOrder(),
  status: 'pending' as const,
  devTools: true,
  userId: 'test-user',
  origin: 'http://localhost:8000',
}

const buttonNamed = (wrapper: ReturnType<typeof mount>, name: string) =>
  wrapper.findAll('button').find((b) => b.text() === name || b.attributes('aria-label') === name)

describe('CheckoutPanel', () => {
  it('opens as a labelled modal dialog and focuses its title', () => {
    const wrapper = mount(CheckoutPanel, { props: baseProps, attachTo: document.body })

    const dialog = wrapper.get('dialog')
    expect(dialog.attributes('open')).toBeDefined()
    expect(wrapper.get(`#${dialog.attributes('aria-labelledby')}`).text()).toBe('Checkout')
    expect(document.activeElement?.id).toBe('checkout-title')
    wrapper.unmount()
  })

  it('shows progress while the order is being created', () => {
    const wrapper = mount(CheckoutPanel, { props: { ...baseProps, phase: 'creating', order: null, status: null } })

    expect(wrapper.get('[role="status"]').text()).toBe('Creating your order…')
    expect(wrapper.find('[data-testid="checkout-status"]').exists()).toBe(false)
  })

  it('shows the pending order, its id and the exact simulator command', () => {
    const wrapper = mount(CheckoutPanel, { props: { ...baseProps, origin: 'http://127.0.0.1:9000' } })

    const status = wrapper.get('[data-testid="checkout-status"]')
    expect(status.attributes('data-status')).toBe('pending')
    expect(status.attributes('data-order-id')).toBe('1234567890123')
    expect(status.text()).toContain('Waiting for payment')
    expect(wrapper.get('[aria-live="polite"][role="status"]').element.contains(status.element)).toBe(true)
    expect(wrapper.get('dl').text()).toContain('1234567890123')
    expect(wrapper.get('code').text()).toBe(
      'python scripts/simulate_webhook.py --order-id 1234567890123 --sku skin-ember-blade --quantity 1 --user test-user --url http://127.0.0.1:9000/api/webhooks/payment',
    )
  })

  it('offers Simulate payment only when the server enables dev tools', async () => {
    const withTools = mount(CheckoutPanel, { props: baseProps })
    const without = mount(CheckoutPanel, { props: { ...baseProps, devTools: false } })

    expect(buttonNamed(without, 'Simulate payment')).toBeUndefined()
    await buttonNamed(withTools, 'Simulate payment')!.trigger('click')
    expect(withTools.emitted('simulate')).toHaveLength(1)
  })

  it('copies the command to the clipboard', async () => {
    const writeText = vi.fn().mockResolvedValue(undefined)
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } })
    const wrapper = mount(CheckoutPanel, { props: baseProps })

    await buttonNamed(wrapper, 'Copy simulator command')!.trigger('click')
    await Promise.resolve()

    expect(writeText).toHaveBeenCalledWith(wrapper.get('code').text())
    expect(wrapper.text()).toContain('Command copied to the clipboard.')
  })

  it('turns to Purchase successful and moves focus to the next step', async () => {
    const wrapper = mount(CheckoutPanel, { props: baseProps, attachTo: document.body })

    await wrapper.setProps({ status: 'paid', order: makeOrder({ status: 'paid' }) })
    await wrapper.vm.$nextTick()

    const status = wrapper.get('[data-testid="checkout-status"]')
    expect(status.attributes('data-status')).toBe('paid')
    expect(status.text()).toContain('Purchase successful')
    expect(buttonNamed(wrapper, 'Simulate payment')).toBeUndefined()
    expect(document.activeElement?.textContent?.trim()).toBe('View my purchases')
    await buttonNamed(wrapper, 'View my purchases')!.trigger('click')
    expect(wrapper.emitted('viewPurchases')).toHaveLength(1)
    wrapper.unmount()
  })

  it('explains a failure and offers to try again', async () => {
    const wrapper = mount(CheckoutPanel, {
      props: { ...baseProps, order: null, status: 'failed', errorMessage: 'Could not reach the store.' },
    })

    const status = wrapper.get('[data-testid="checkout-status"]')
    expect(status.attributes('data-status')).toBe('failed')
    expect(status.text()).toContain('Could not reach the store.')
    await buttonNamed(wrapper, 'Try again')!.trigger('click')
    expect(wrapper.emitted('retry')).toHaveLength(1)
  })

  it('closes on Escape and from the close button, and returns focus to the opener', async () => {
    const opener = document.createElement('button')
    document.body.append(opener)
    opener.focus()
    const wrapper = mount(CheckoutPanel, { props: baseProps, attachTo: document.body })

    await wrapper.get('dialog').trigger('cancel')
    await buttonNamed(wrapper, 'Close checkout')!.trigger('click')
    expect(wrapper.emitted('close')).toHaveLength(2)

    wrapper.unmount()
    expect(document.activeElement).toBe(opener)
  })

  it('points to the payment page and hides the simulator from players when the provider is real', () => {
    const order = makeOrder({ payment_url: 'https://sandbox-secure.xsolla.com/paystation4/?token=t', token: 't' })
    const wrapper = mount(CheckoutPanel, { props: { ...baseProps, order, devTools: false } })

    const link = wrapper.get('a[href^="https://sandbox-secure.xsolla.com/"]')
    expect(link.text()).toBe('Open the payment page')
    expect(link.attributes('target')).toBe('_blank')
    expect(link.attributes('rel')).toContain('noopener')
    expect(wrapper.get('[data-testid="checkout-status"]').text()).toContain('secure payment page in the new window')
    expect(wrapper.find('code').exists()).toBe(false)
  })

  it('keeps the simulator for developers when the provider is real', () => {
    const order = makeOrder({ payment_url: 'https://sandbox-secure.xsolla.com/paystation4/?token=t', token: 't' })
    const wrapper = mount(CheckoutPanel, { props: { ...baseProps, order } })

    expect(wrapper.get('code').text()).toContain('--order-id 1234567890123')
    expect(buttonNamed(wrapper, 'Simulate payment')).toBeDefined()
  })
})
