"""`python -m bench [name ...]`: set up Django, run every benchmark found (or the ones named), print."""

from __future__ import annotations

import importlib
import os
import sys
import time


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from bench import PREFIX, discover

    available = discover()
    names = argv or available
    unknown = [name for name in names if name not in available]
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available)}", file=sys.stderr
        )
        return 2
    for name in names:
        module = importlib.import_module(f"bench.{PREFIX}{name}")
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        for line in module.run():
            print(f"  {line}", flush=True)
        print(f"  ({time.perf_counter() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
