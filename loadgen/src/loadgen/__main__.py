"""`python -m loadgen [locust options]`: Locust with the shoppers' locustfile, once the store
answers.

Options and LOCUST_* variables are Locust's own (`--headless`, `--users`, `--spawn-rate`,
`--run-time`, `LOCUST_AUTOSTART`, ...). It first waits for the storefront's /readyz, up to
STORE_WAIT_SECONDS (default 120), so that a pod started beside the store does not fill Locust's
failure table while the store comes up.
"""

from __future__ import annotations

# First: Locust monkey-patches the standard library with gevent as it is imported.
from locust.main import main as locust_main  # isort: skip

import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from loadgen import store


def wait_for_store(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        try:
            # The operator's own STOREFRONT_URL: whatever scheme they give is theirs to give.
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:  # noqa: S310  # nosec B310
                if response.status == 200:
                    return True
        except (OSError, urllib.error.URLError):
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(1)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    storefront = store.url("storefront")
    timeout = float(os.environ.get("STORE_WAIT_SECONDS", "120"))
    print(f"loadgen: waiting for the store at {storefront} (up to {timeout:.0f} s)", flush=True)
    if not wait_for_store(storefront, timeout):
        print(
            f"loadgen: nothing ready at {storefront}/readyz. Start the store (`make up` in another "
            "terminal), or point STOREFRONT_URL and the other <NAME>_URLs at yours.",
            file=sys.stderr,
        )
        return 1
    locustfile = Path(__file__).with_name("locustfile.py")
    sys.argv = ["locust", "--locustfile", str(locustfile), "--host", storefront, *args]
    return locust_main()


if __name__ == "__main__":
    sys.exit(main())
