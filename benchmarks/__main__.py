"""Run every benchmark: ``python -m benchmarks [--quick]`` (``make bench``).

Each ``benchmarks/bench_<topic>.py`` runs geoplan and the baseline a user would otherwise write in
the same run, checks that their results agree, and prints times, the ratio, peak memory and sizes.
They run one after another in their own processes, so peak-memory figures do not mix.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    failed = []
    for script in sorted(here.glob("bench_*.py")):
        module = f"benchmarks.{script.stem}"
        print(f"\n=== {module} {' '.join(argv)}", flush=True)
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", module, *argv], check=False)
        print(f"=== {module}: exit {proc.returncode} in {time.perf_counter() - start:.1f} s")
        if proc.returncode != 0:
            failed.append(module)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
