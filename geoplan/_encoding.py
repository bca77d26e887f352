"""Detecting the text encoding of a shapefile's DBF.

Chinese shapefiles are usually GBK/GB18030 and often come without a ``.cpg``; GDAL then reads them
as Latin-1 and the names turn to mojibake. With a ``.cpg`` GDAL is told the encoding and we leave
it alone. Without one we look at the DBF's language-driver byte (0x4D / 0x7A = code page 936) and
at the bytes of the records: valid UTF-8 with non-ASCII → UTF-8, else decodable as GB18030 →
GB18030.
"""

from __future__ import annotations

import logging
from pathlib import Path

logger = logging.getLogger(__name__)

_CP936_LDIDS = {0x4D, 0x7A}
_SAMPLE_BYTES = 4 * 1024 * 1024


def _sidecar(path: Path, suffix: str) -> Path | None:
    for cand in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if cand.exists():
            return cand
    return None


def detect_dbf_encoding(path: Path) -> str | None:
    """The encoding to read a shapefile with, or None to let GDAL decide (``.cpg`` present).

    Examples
    --------
    >>> detect_dbf_encoding(Path("missing.shp")) is None
    True
    """
    if _sidecar(path, ".cpg") is not None:
        return None
    dbf = _sidecar(path, ".dbf")
    if dbf is None:
        return None
    with open(dbf, "rb") as fh:
        header = fh.read(32)
        if len(header) < 32:
            return None
        header_len = int.from_bytes(header[8:10], "little")
        fh.seek(header_len)
        body = fh.read(_SAMPLE_BYTES)
    if header[29] in _CP936_LDIDS:
        logger.info("%s: DBF language driver says code page 936; reading as GB18030", dbf)
        return "GB18030"
    if all(b < 0x80 for b in body):
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        logger.info("%s: no .cpg; text decodes as UTF-8", dbf)
        return "UTF-8"
    try:
        body.decode("gb18030")
    except UnicodeDecodeError:
        return None
    logger.info("%s: no .cpg; text decodes as GB18030 (GBK), reading it so", dbf)
    return "GB18030"
