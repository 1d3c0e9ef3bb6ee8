import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import ItemArt from './ItemArt.vue'

describe('ItemArt', () => {
  it('draws art per type when there is no image', () => {
    const wrapper = mount(ItemArt, { props: { type: 'power_up', sku: 'boost', imageUrl: null } })

    expect(wrapper.classes()).toContain('art--power_up')
    expect(wrapper.find('svg').exists()).toBe(true)
    expect(wrapper.find('img').exists()).toBe(false)
  })

  it('uses a neutral art for types it does not know', () => {
    const wrapper = mount(ItemArt, { props: { type: 'emote', sku: 'wave' } })

    expect(wrapper.classes()).toContain('art--other')
    expect(wrapper.get('svg').attributes('data-icon')).toBe('star')
  })

  it('picks the same icon of its type for the same sku every time', () => {
    const icons = (sku: string) => mount(ItemArt, { props: { type: 'skin', sku } }).get('svg').attributes('data-icon')
    const skus = ['skin-a', 'skin-b', 'skin-c', 'skin-d', 'skin-e', 'skin-f']

    expect(skus.map(icons)).toEqual(skus.map(icons))
    expect(new Set(skus.map(icons))).toEqual(new Set(['sword', 'shield']))
  })

  it('shows same-origin images but not ones the CSP would block', () => {
    const local = mount(ItemArt, { props: { type: 'skin', sku: 'a', imageUrl: '/static/a.png' } })
    const remote = mount(ItemArt, { props: { type: 'skin', sku: 'b', imageUrl: 'https://cdn.example.com/b.png' } })

    expect(local.get('img').attributes('src')).toBe(`${window.location.origin}/static/a.png`)
    expect(remote.find('img').exists()).toBe(false)
  })
})
