#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (Playwright cannot download its own browsers here).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing chromium for the browser tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
if [ -n "${CI:-}" ]; then
  echo "chromium is missing and cannot be installed (not root or no apt-get)" >&2
  exit 1
fi
echo "chromium is not installed: browser tests will be skipped (sudo apt-get install chromium)" >&2
