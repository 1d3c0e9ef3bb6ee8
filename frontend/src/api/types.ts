export interface Page {
  limit: number
  offset: number
  total: number
}

export interface Paginated<T> {
  data: T[]
  page: Page
}

export interface Item {
  id: number
  sku: string
  name: string
  description: string
  type: string
  price: string
  currency: string
  image_url: string | null
  created_at?: string
}

export type PurchaseStatus = 'paid' | 'canceled'

export interface Purchase {
  id: number
  order_id: number
  item: { id: number; sku: string; name: string }
  quantity: number
  amount: string
  currency: string
  status: PurchaseStatus
  purchased_at: string
}

export type OrderStatus = 'pending' | 'paid' | 'canceled'

export interface OrderLine {
  item_id: number
  sku: string
  name: string
  quantity: number
  amount: string
}

export interface Order {
  order_id: number
  status: OrderStatus
  amount: string
  currency: string
  items: OrderLine[]
  user_id?: string
  payment_url?: string
  token?: string
}

export interface Session {
  token: string
  user: { id: string }
  expires_at: string
}

export interface StoreConfig {
  stage: string
  dev_tools: boolean
  checkout_provider: string
}

export interface DevPayResult {
  order_id: number
  status: OrderStatus
  webhook_status: number
}

export type ItemSort = 'name' | '-name' | 'price' | '-price' | 'newest'

export interface ItemQuery {
  limit: number
  offset: number
  q?: string
  type?: string
  sort?: ItemSort
  min_price?: string
  max_price?: string
}

export interface PurchaseQuery {
  limit: number
  offset: number
  status?: PurchaseStatus
}
