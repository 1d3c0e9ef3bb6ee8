// Browser end-to-end run against a live backend that serves the built storefront and the API.
// Env: BASE_URL (required), PYTHON, REPO_ROOT, SCREENSHOT_DIR, CHROMIUM_PATH.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { chromium } from 'playwright-core'

const run = promisify(execFile)
const BASE_URL = process.env.BASE_URL?.replace(/\/+$/, '')
const PYTHON = process.env.PYTHON || 'python3'
const REPO_ROOT = process.env.REPO_ROOT || fileURLToPath(new URL('../..', import.meta.url))
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || join(REPO_ROOT, 'test-artifacts', 'screenshots')
const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
const SETTLE_BUDGET_MS = 2000
const DESKTOP = { width: 1280, height: 800 }
const PHONE = { width: 390, height: 844 }

// Without a server there is nothing to test; in CI that is a failure, not a skip.
const skip = !BASE_URL && !process.env.CI ? 'BASE_URL is not set' : false

let browser

before(async () => {
  if (skip) return
  assert.ok(BASE_URL, 'BASE_URL must point at a running backend')
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
})

after(async () => {
  await browser?.close()
})

/** A page that records every console error, page error, failed request and error response. */
async function openStore(viewport) {
  const context = await browser.newContext({ viewport })
  const page = await context.newPage()
  const problems = []
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`)
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  page.on('requestfailed', (request) =>
    problems.push(`request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText}`),
  )
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`)
  })
  await page.goto(`${BASE_URL}/`)
  await page.locator('[data-testid="item-card"]').first().waitFor()
  await page.locator('#purchases-heading').waitFor()
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'))
  const marker = `e2e-${Date.now()}`
  await page.evaluate((value) => {
    window.__e2eMarker = value
  }, marker)
  return { context, page, problems, marker }
}

async function shoot(page, name) {
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) })
}

/** Click Buy on the first card and wait for the pending order; returns its id and sku. */
async function buyFirstItem(page) {
  const card = page.locator('[data-testid="item-card"]').first()
  const sku = await card.getAttribute('data-sku')
  assert.ok(sku, 'item card has a data-sku')
  await card.locator('[data-testid="buy-button"]').click()
  const status = page.locator('[data-testid="checkout-status"]')
  await status.and(page.locator('[data-status="pending"]')).waitFor({ timeout: 5000 })
  const orderId = await status.getAttribute('data-order-id')
  assert.match(orderId ?? '', /^\d+$/, 'pending checkout shows a numeric order id')
  assert.match(await status.innerText(), /waiting for payment/i)
  return { orderId, sku }
}

async function expectSettledQuickly(page, orderId, startedAt) {
  const remaining = () => Math.max(1, SETTLE_BUDGET_MS - (Date.now() - startedAt))
  const status = page.locator(`[data-testid="checkout-status"][data-order-id="${orderId}"]`)
  await status.and(page.locator('[data-status="paid"]')).waitFor({ timeout: remaining() })
  assert.match(await status.innerText(), /Purchase successful/)
  const row = page.locator(`[data-testid="purchase-row"][data-order-id="${orderId}"]`)
  await row.waitFor({ timeout: remaining() })
  const elapsed = Date.now() - startedAt
  assert.ok(elapsed <= SETTLE_BUDGET_MS, `settled in ${elapsed} ms`)
  assert.equal((await row.locator('[data-testid="purchase-status"]').textContent())?.trim(), 'paid')
  return elapsed
}

test('storefront end to end', { skip, timeout: 120_000 }, async (t) => {
  await t.test('desktop: buy, pay through the webhook simulator, see the purchase', async (sub) => {
    const { context, page, problems, marker } = await openStore(DESKTOP)
    try {
      assert.ok((await page.locator('[data-testid="item-card"]').count()) > 0)
      await shoot(page, 'store-desktop')

      const { orderId, sku } = await buyFirstItem(page)
      const origin = new URL(BASE_URL).origin
      const expected =
        `python scripts/simulate_webhook.py --order-id ${orderId} --sku ${sku} --quantity 1 --user test-user` +
        (origin === 'http://localhost:8000' ? '' : ` --url ${origin}/api/webhooks/payment`)
      assert.equal((await page.locator('dialog code').textContent())?.trim(), expected)
      await shoot(page, 'pending-desktop')

      await run(PYTHON, [
        join(REPO_ROOT, 'scripts', 'simulate_webhook.py'),
        '--order-id', orderId,
        '--sku', sku,
        '--quantity', '1',
        '--user', 'test-user',
        '--url', `${BASE_URL}/api/webhooks/payment`,
      ], { cwd: REPO_ROOT, timeout: 30_000 })
      const elapsed = await expectSettledQuickly(page, orderId, Date.now())
      sub.diagnostic(`paid and listed ${elapsed} ms after the simulator returned`)
      await shoot(page, 'success-desktop')

      assert.equal(await page.evaluate(() => window.__e2eMarker), marker, 'no page reload happened')
      await page.getByRole('button', { name: 'Keep shopping' }).click()
      await page.locator('dialog').waitFor({ state: 'detached' })
      assert.deepEqual(problems, [])
    } finally {
      await context.close()
    }
  })

  await t.test('keyboard: open checkout with Enter, close with Escape, focus comes back', async () => {
    const { context, page, problems } = await openStore(DESKTOP)
    try {
      const buy = page.locator('[data-testid="buy-button"]').first()
      await buy.focus()
      await page.keyboard.press('Enter')
      await page.locator('[data-testid="checkout-status"][data-status="pending"]').waitFor()
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'checkout-title')
      // A modal <dialog> makes the page inert; Tab may leave for the browser's own UI (the
      // body here) but must never reach the page behind it.
      const seen = new Set()
      for (let i = 0; i < 8; i++) {
        await page.keyboard.press('Tab')
        const where = await page.evaluate(() => {
          const active = document.activeElement
          if (!active || active === document.body) return 'browser'
          return active.closest('dialog') ? active.textContent?.trim() || active.id : 'PAGE BEHIND'
        })
        assert.notEqual(where, 'PAGE BEHIND', 'focus stays out of the page behind the dialog')
        seen.add(where)
      }
      assert.ok(seen.has('Simulate payment'), 'Tab reaches the dialog controls')
      await page.keyboard.press('Escape')
      await page.locator('dialog').waitFor({ state: 'detached' })
      assert.ok(await buy.evaluate((element) => element === document.activeElement), 'focus returns to Buy')
      assert.deepEqual(problems, [])
    } finally {
      await context.close()
    }
  })

  await t.test('phone: buy, pay with the Simulate payment button, see the purchase', async (sub) => {
    const { context, page, problems, marker } = await openStore(PHONE)
    try {
      await shoot(page, 'store-phone')
      const { orderId } = await buyFirstItem(page)
      await shoot(page, 'pending-phone')

      const started = Date.now()
      await page.getByRole('button', { name: 'Simulate payment' }).click()
      const elapsed = await expectSettledQuickly(page, orderId, started)
      sub.diagnostic(`paid and listed ${elapsed} ms after the Simulate payment click`)
      await shoot(page, 'success-phone')

      await page.getByRole('button', { name: 'View my purchases' }).click()
      await page.locator('dialog').waitFor({ state: 'detached' })
      // The hash changes at once; the route reacts on the hashchange event that follows.
      await page.waitForFunction(() => document.activeElement?.id === 'purchases-heading', null, {
        timeout: 2000,
      })
      assert.equal(await page.evaluate(() => window.location.hash), '#/purchases')
      await shoot(page, 'purchases-phone')
      assert.equal(await page.evaluate(() => window.__e2eMarker), marker, 'no page reload happened')
      assert.deepEqual(problems, [])
    } finally {
      await context.close()
    }
  })
})
