import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

// The backend's CSP allows only same-origin files: no inline scripts, style blocks or style attributes.
describe('index.html under the CSP', () => {
  const html = readFileSync(join(import.meta.dirname, '..', 'index.html'), 'utf8')

  it('has no inline script, style block or style attribute', () => {
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)]
    expect(scripts.length).toBeGreaterThan(0)
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\bsrc=/)
      expect(body?.trim()).toBe('')
    }
    expect(html).not.toMatch(/<style\b/i)
    expect(html).not.toMatch(/\sstyle=/i)
  })
})
