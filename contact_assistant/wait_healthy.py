"""Wait until /healthz reports every component healthy, then say where to open the product."""

from __future__ import annotations

import argparse
import os
import sys
import time

import requests

from contact_assistant.access_log import WAIT_HEALTHY_AGENT


def wait(base_url: str, timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            r = requests.get(f"{base_url}/healthz", timeout=2,
                             headers={"User-Agent": WAIT_HEALTHY_AGENT})  # not in the access log
            if r.status_code == 200:
                return time.monotonic() - start
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"not healthy after {timeout:.0f}s: see {base_url}/healthz")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--timeout", type=float, default=180)
    parser.add_argument("--announce", action="store_true")
    args = parser.parse_args()
    base = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
    try:
        took = wait(base, args.timeout)
    except TimeoutError as exc:
        print(f"\n!! {exc}", file=sys.stderr)
        sys.exit(1)
    if args.announce:
        public = os.environ.get("PUBLIC_BASE_URL", base).rstrip("/")
        print(
            f"\n  Council Contact Assistant is ready ({took:.0f}s after start).\n"
            f"    Web chat:         {base}/\n"
            f"    Advisor console:  {base}/advisor\n"
            f"    Health:           {base}/healthz\n"
            f"    Phone webhook:    {public}/voice/incoming  (SMS: {public}/sms/incoming)\n"
            f"  Press Ctrl-C to stop.\n",
            flush=True,
        )


if __name__ == "__main__":
    main()
