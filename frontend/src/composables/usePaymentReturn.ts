import { getCurrentScope, onScopeDispose, ref } from 'vue'
import { isPaymentReturn, readPaymentReturn, type PaymentReturnStatus } from '@/paymentReturn'

function current(): PaymentReturnStatus | null {
  const { hash, search } = window.location
  return isPaymentReturn(hash) ? readPaymentReturn(hash, search) : null
}

/** The outcome Pay Station reported on its way back to the store, or null off the return route. */
export function usePaymentReturn() {
  const paymentReturn = ref<PaymentReturnStatus | null>(current())
  const update = () => {
    paymentReturn.value = current()
  }
  window.addEventListener('hashchange', update)
  if (getCurrentScope()) onScopeDispose(() => window.removeEventListener('hashchange', update))
  return { paymentReturn }
}
