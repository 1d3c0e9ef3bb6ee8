import { ApiError } from '@/api/client'

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error
  return new ApiError(0, 'unexpected', 'Something unexpected went wrong. Please try again.')
}
