import { computed, getCurrentScope, onScopeDispose, ref, shallowRef, watch } from 'vue'
import { api, isAbort, type ApiClient, type ApiError } from '@/api/client'
import type { Item, ItemQuery, ItemSort, Page } from '@/api/types'
import { config } from '@/config'
import { toApiError } from './errors'

export type SortChoice = ItemSort | ''

export function useItems(client: ApiClient = api) {
  const search = ref('')
  const appliedSearch = ref('')
  const type = ref('')
  const sort = ref<SortChoice>('')
  const offset = ref(0)

  const items = shallowRef<Item[]>([])
  const page = ref<Page>({ limit: config.pageSize, offset: 0, total: 0 })
  const loading = ref(true)
  const error = shallowRef<ApiError | null>(null)
  const seenTypes = ref<string[]>([])

  const query = computed<ItemQuery>(() => ({
    limit: config.pageSize,
    offset: offset.value,
    q: appliedSearch.value.trim() || undefined,
    type: type.value || undefined,
    sort: sort.value || undefined,
  }))

  const types = computed(() => {
    const all = new Set<string>([...config.knownItemTypes, ...seenTypes.value])
    if (type.value) all.add(type.value)
    return [...all]
  })

  let controller: AbortController | null = null
  let searchTimer: ReturnType<typeof setTimeout> | undefined

  async function load() {
    controller?.abort()
    const current = new AbortController()
    controller = current
    loading.value = true
    error.value = null
    try {
      const result = await client.listItems(query.value, current.signal)
      if (controller !== current) return
      items.value = result.data
      page.value = result.page
      const fresh = result.data.map((item) => item.type).filter((t) => !seenTypes.value.includes(t))
      if (fresh.length) seenTypes.value = [...seenTypes.value, ...new Set(fresh)]
    } catch (caught) {
      if (isAbort(caught) || controller !== current) return
      error.value = toApiError(caught)
    } finally {
      if (controller === current) loading.value = false
    }
  }

  function applySearch() {
    clearTimeout(searchTimer)
    if (appliedSearch.value === search.value) return
    appliedSearch.value = search.value
    offset.value = 0
  }

  watch(search, () => {
    clearTimeout(searchTimer)
    searchTimer = setTimeout(applySearch, config.searchDebounceMs)
  })
  watch([type, sort], () => {
    offset.value = 0
  })
  watch(query, load, { immediate: true })

  if (getCurrentScope()) {
    onScopeDispose(() => {
      clearTimeout(searchTimer)
      controller?.abort()
    })
  }

  return {
    search,
    type,
    sort,
    offset,
    items,
    page,
    loading,
    error,
    types,
    applySearch,
    goTo: (nextOffset: number) => {
      offset.value = Math.max(0, nextOffset)
    },
    reload: load,
  }
}
