import { config } from '@/config'

export interface SimulatorArgs {
  orderId: number
  sku: string
  quantity: number
  userId: string
  origin: string
}

/** The exact command a developer pastes to deliver this order's payment webhook. */
export function simulatorCommand({ orderId, sku, quantity, userId, origin }: SimulatorArgs): string {
  const command = `python scripts/simulate_webhook.py --order-id ${orderId} --sku ${sku} --quantity ${quantity} --user ${userId}`
  return origin === config.simulatorDefaultOrigin
    ? command
    : `${command} --url ${origin}/api/webhooks/payment`
}
