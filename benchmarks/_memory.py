"""Peak memory of the running process, for the benchmarks' subprocesses."""

from __future__ import annotations

import resource
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB.

    ``VmHWM`` from ``/proc/self/status`` where there is one (Linux): it belongs to the address
    space, which starts anew at ``exec``. ``ru_maxrss`` does not: Linux keeps the larger of it
    and the forking parent's peak across ``exec`` (Python's subprocess forks by ``vfork``, so the
    child's figure would be at least the parent's — the generated data of the benchmark). Falls
    back to ``ru_maxrss`` elsewhere.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
