import { computed, getCurrentScope, onScopeDispose, shallowRef } from 'vue'
import { api, type ApiClient } from '@/api/client'

export function useSession(client: ApiClient = api) {
  const session = shallowRef(client.currentSession())
  const stop = client.onSessionChange((next) => {
    session.value = next
  })
  if (getCurrentScope()) onScopeDispose(stop)

  return {
    session,
    userId: computed(() => session.value?.user.id ?? null),
    signIn: () => client.ensureSession(),
  }
}
