import { afterEach, beforeEach } from 'vitest'

beforeEach(() => {
  window.sessionStorage.clear()
})

afterEach(() => {
  document.body.innerHTML = ''
})
