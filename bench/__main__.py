"""`make bench`: every benchmark, one table each, JSON under var/bench/.

MODULES lists the benchmark modules. Each may offer:
- `measure_stack(stack) -> dict` and `table(dict) -> str`: measured against the running stack
  started here once (bench.latency: start-up time, memory, latency and throughput);
- `measure(env) -> dict` and `table(dict) -> str`: given the stack's environment (bench.voice);
- `main() -> int`: runs on its own, prints its own table (bench.nlu, bench.catalogue: no stack
  needed).
A module that is not there yet is skipped with a note.
"""

from __future__ import annotations

import importlib
import json
import sys

from bench import latency

MODULES = ["bench.nlu", "bench.catalogue", "bench.latency", "bench.voice", "bench.delivery"]


def _load(name: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            print(f"[{name}: not built yet, skipped]")
            return None
        raise


def main() -> int:
    modules = [(name, _load(name)) for name in MODULES]
    failed = False
    for name, module in modules:  # the ones that need no stack first, on a quiet machine
        if module is not None and not hasattr(module, "measure") and hasattr(module, "main"):
            print(f"\n=== {name} ===", flush=True)
            failed |= bool(module.main())
    stack = latency.start_stack()
    try:
        env = dict(stack.env, BENCH_BASE_URL=stack.base_url)
        for name, module in modules:
            if module is None:
                continue
            short = name.split(".")[-1]
            if module is latency:
                result = latency.measure(stack)
                failed |= not all(c["ok"] for c in result["checks"])
            elif hasattr(module, "measure"):
                result = module.measure(env)
            else:
                continue
            print(f"\n=== {name} ===")
            print(module.table(result) if hasattr(module, "table")
                  else json.dumps(result, indent=2))
            print(f"(written {latency.save(result, short)})", flush=True)
    finally:
        stack.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
