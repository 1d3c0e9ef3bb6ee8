import { config } from '@/config'

const moneyFormats = new Map<string, Intl.NumberFormat>()

export function formatMoney(amount: string, currency: string): string {
  let format = moneyFormats.get(currency)
  if (!format) {
    try {
      format = new Intl.NumberFormat(config.locale, { style: 'currency', currency })
    } catch {
      return `${amount} ${currency}`
    }
    moneyFormats.set(currency, format)
  }
  const value = Number(amount)
  return Number.isFinite(value) ? format.format(value) : `${amount} ${currency}`
}

const dateFormat = new Intl.DateTimeFormat(config.locale, { dateStyle: 'medium', timeStyle: 'short' })

export function formatDate(iso: string): string {
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : dateFormat.format(date)
}

const typeLabels: Record<string, string> = {
  skin: 'Skin',
  power_up: 'Power-up',
  currency_pack: 'Currency pack',
  bundle: 'Bundle',
}

export function typeLabel(type: string): string {
  return typeLabels[type] ?? type.replace(/[_-]+/g, ' ').replace(/^./, (c) => c.toUpperCase())
}
