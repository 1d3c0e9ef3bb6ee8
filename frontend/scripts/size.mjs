// Prints the gzip size of the built JS and CSS and fails when they exceed the budget.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const BUDGET_BYTES = 60 * 1024
const dist = fileURLToPath(new URL('../dist', import.meta.url))

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : [path]
  })
}

let files
try {
  files = walk(dist).filter((path) => /\.(js|mjs|css)$/.test(path))
} catch {
  console.error('No build output in dist/: run `npm run build` first.')
  process.exit(2)
}
if (files.length === 0) {
  console.error('dist/ holds no JS or CSS files.')
  process.exit(2)
}

let total = 0
for (const path of files.sort()) {
  const raw = readFileSync(path)
  const gzip = gzipSync(raw, { level: 9 }).length
  total += gzip
  console.log(`${relative(dist, path).padEnd(40)} ${String(raw.length).padStart(8)} B raw ${String(gzip).padStart(8)} B gzip`)
}
const verdict = total <= BUDGET_BYTES ? 'within' : 'OVER'
console.log(`total gzip: ${total} B (${(total / 1024).toFixed(1)} KiB), ${verdict} the ${BUDGET_BYTES / 1024} KiB budget`)
process.exit(total <= BUDGET_BYTES ? 0 : 1)
