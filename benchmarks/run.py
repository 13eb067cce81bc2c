"""`make bench`: run each benchmarks/bench_*.py module's `main()`, in name order.

    .venv/bin/python benchmarks/run.py            # all of them
    .venv/bin/python benchmarks/run.py delivery   # only bench_delivery.py

Each module prints its own figures as ratios to a reference measured in the same run.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _load(path: Path) -> object:
    spec = importlib.util.spec_from_file_location(f"benchmarks.{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> int:
    wanted = {name.removeprefix("bench_") for name in argv}
    paths = sorted(HERE.glob("bench_*.py"))
    for path in paths:
        if wanted and path.stem.removeprefix("bench_") not in wanted:
            continue
        print(f"== {path.stem} ==", flush=True)
        started = time.perf_counter()
        # Each main() parses its own options: give it none rather than ours.
        sys.argv = [str(path)]
        _load(path).main()  # type: ignore[attr-defined]
        print(f"== {path.stem}: {time.perf_counter() - started:.0f} s ==\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    sys.exit(main(sys.argv[1:]))
