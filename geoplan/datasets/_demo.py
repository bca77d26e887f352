"""The bundled demo county: ``data/demo`` in a checkout, else generated once into a cache."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from geoplan._version import __version__
from geoplan.datasets._synthetic import synthetic_county

__all__ = ["DEMO_SCALE", "DEMO_SEED", "demo_path"]

logger = logging.getLogger(__name__)

#: the generator's seed and scale for the demo county (data/README.md says how it was made)
DEMO_SEED = 2026
DEMO_SCALE = 1.0


def _repo_demo() -> Path:
    import geoplan

    return Path(geoplan.__file__).resolve().parents[1] / "data" / "demo"


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "geoplan" / "demo"


def demo_path() -> Path:
    """Folder of the demo county package.

    In a source checkout (or an editable install) this is the repository's ``data/demo``;
    otherwise the demo is generated once (``synthetic_county(seed=DEMO_SEED,
    scale=DEMO_SCALE)``, ~10 s) into ``$XDG_CACHE_HOME/geoplan/demo`` (default
    ``~/.cache/geoplan/demo``) and that folder is returned.

    Examples
    --------
    >>> (demo_path() / "county.toml").is_file()
    True
    """
    repo = _repo_demo()
    if (repo / "county.toml").is_file():
        return repo
    cache = _cache_dir()
    stamp = cache / ".generator"
    want = f"geoplan {__version__} seed={DEMO_SEED} scale={DEMO_SCALE}"
    if not (cache / "county.toml").is_file() or not stamp.is_file() or stamp.read_text() != want:
        logger.info("generating the demo county into %s", cache)
        county = synthetic_county(seed=DEMO_SEED, scale=DEMO_SCALE)
        county.write(cache, overwrite=True, landuse_format="parquet")
        stamp.write_text(want)
    return cache
