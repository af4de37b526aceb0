"""`python -m delivery [--burst]`: the worker process (the Procfile's `worker:` line)."""

import sys

from delivery.cli import run_worker

raise SystemExit(run_worker(burst="--burst" in sys.argv[1:]))
