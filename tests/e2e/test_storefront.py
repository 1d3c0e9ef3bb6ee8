"""The storefront in headless Chromium (playwright-core) against a real server on Postgres +
Redis. The browser scenario lives in frontend/e2e; this test gives it a server."""

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import IN_CI, ROOT, WEBHOOK_SECRET

pytestmark = pytest.mark.e2e


def test_storefront_buy_flow_in_a_real_browser(live_server):
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not os.path.exists(chromium) or shutil.which("node") is None:
        if IN_CI:
            pytest.fail("chromium and node are required for the browser tests in CI")
        pytest.skip("chromium or node is not installed")
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        pytest.fail("the storefront is not built: run `make install`")
    env = {
        **os.environ,
        "BASE_URL": live_server.base_url,
        "PYTHON": sys.executable,
        "REPO_ROOT": str(ROOT),
        "SCREENSHOT_DIR": str(ROOT / "test-artifacts" / "screenshots"),
        "XSOLLA_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "CHROMIUM_PATH": chromium,
    }
    result = subprocess.run(
        ["npm", "--prefix", "frontend", "run", "test:e2e"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    print(result.stdout[-6000:])
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
