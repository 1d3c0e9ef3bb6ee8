import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { makeItem } from '@/test/http'
import ItemCard from './ItemCard.vue'

describe('ItemCard', () => {
  it('shows name, description, type and the price in the item currency', () => {
    const wrapper = mount(ItemCard, { props: { item: makeItem({ price: '1234.50', currency: 'EUR' }) } })

    const card = wrapper.get('[data-testid="item-card"]')
    expect(card.attributes('data-sku')).toBe('skin-ember-blade')
    expect(card.get('h3').text()).toBe('Ember Blade')
    expect(card.text()).toContain('A blade that still glows from the forge.')
    expect(card.get('.badge').text()).toBe('Skin')
    expect(card.get('.card__price').text()).toBe('Price: €1,234.50')
  })

  it('labels the card region and the buy button with the item name', () => {
    const wrapper = mount(ItemCard, { props: { item: makeItem() } })

    const card = wrapper.get('article')
    expect(wrapper.get(`#${card.attributes('aria-labelledby')}`).text()).toBe('Ember Blade')
    const button = wrapper.get('[data-testid="buy-button"]')
    expect(button.element.tagName).toBe('BUTTON')
    expect(button.text()).toBe('Buy Ember Blade')
  })

  it('emits buy with the item when the button is pressed', async () => {
    const item = makeItem({ id: 42 })
    const wrapper = mount(ItemCard, { props: { item } })

    await wrapper.get('[data-testid="buy-button"]').trigger('click')

    expect(wrapper.emitted('buy')?.[0]?.[0]).toEqual(item)
  })

  it('disables the button while its order is being created', () => {
    const wrapper = mount(ItemCard, { props: { item: makeItem(), busy: true } })

    const button = wrapper.get('[data-testid="buy-button"]')
    expect(button.attributes('disabled')).toBeDefined()
    expect(button.text()).toBe('Buying… Ember Blade')
  })
})
