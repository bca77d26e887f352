"""Detecting the text encoding of a shapefile's DBF.

Chinese shapefiles are usually GBK/GB18030 and often come without a ``.cpg``; GDAL then reads them
as Latin-1 and the names turn to mojibake. With a ``.cpg`` GDAL is told the encoding and we leave
it alone. Without one we look at the DBF's language-driver byte (0x4D / 0x7A = code page 936) and
at the bytes of the field names and the records: valid UTF-8 with non-ASCII → UTF-8, else
decodable as GB18030 → GB18030. Shapefile field names are cut at 10 bytes, which may split a
character (UTF-8 is 3 bytes a Chinese character): that is allowed at the end of a name.
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


def dbf_field_names(path: Path) -> list[bytes]:
    """The raw bytes of the field names in a DBF header (no decoding).

    Examples
    --------
    >>> dbf_field_names(Path("missing.dbf"))
    []
    """
    dbf = path if path.suffix.lower() == ".dbf" else _sidecar(path, ".dbf")
    if dbf is None or not dbf.exists():
        return []
    with open(dbf, "rb") as fh:
        header = fh.read(32)
        if len(header) < 32:
            return []
        header_len = int.from_bytes(header[8:10], "little")
        descriptors = fh.read(max(header_len - 32, 0))
    names = []
    for i in range(0, len(descriptors) - 31, 32):
        if descriptors[i] == 0x0D:  # header terminator
            break
        names.append(descriptors[i : i + 11].split(b"\x00", 1)[0])
    return names


def _decodes(data: bytes, encoding: str, *, cut: bool = False) -> bool:
    """Whether ``data`` is text in ``encoding`` (``cut``: a character split at the end is ok)."""
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        # a 10-byte field name may end in the middle of a character
        return cut and exc.start >= len(data) - 3 and _decodes(data[: exc.start], encoding)
    return True


def cpg_encoding(path: Path) -> str | None:
    """The encoding a ``.cpg`` beside a shapefile names (None: no .cpg)."""
    cpg = _sidecar(path, ".cpg")
    if cpg is None:
        return None
    text = cpg.read_text(encoding="ascii", errors="ignore").strip().upper()
    return {"65001": "UTF-8", "UTF8": "UTF-8", "936": "GB18030", "GBK": "GB18030",
            "CP936": "GB18030", "GB2312": "GB18030"}.get(text, text or None)  # fmt: skip


def detect_dbf_encoding(path: Path) -> str | None:
    """The encoding to read a shapefile with, or None to let GDAL decide (``.cpg`` present).

    Without a ``.cpg``: the DBF language byte (0x4D / 0x7A = code page 936 → GB18030), else the
    bytes of the field names *and* the records — names alone may be Chinese while every value
    is ASCII — tried as UTF-8 (allowing a name cut mid-character at 10 bytes), then GB18030.

    Examples
    --------
    >>> detect_dbf_encoding(Path("missing.shp")) is None
    True
    """
    if _sidecar(path, ".cpg") is not None:
        return None
    dbf = path if path.suffix.lower() == ".dbf" else _sidecar(path, ".dbf")
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
    names = [n for n in dbf_field_names(dbf) if any(b >= 0x80 for b in n)]
    if not names and all(b < 0x80 for b in body):
        return None
    for enc in ("utf-8", "gb18030"):
        if _decodes(body, enc) and all(_decodes(n, enc, cut=True) for n in names):
            label = "UTF-8" if enc == "utf-8" else "GB18030"
            logger.info(
                "%s: no .cpg and no code page in the DBF; field names and text decode as %s, "
                "reading it so", dbf, label,
            )  # fmt: skip
            return label
    return None


def names_cut_mid_character(path: Path, encoding: str | None) -> bool:
    """Whether some DBF field name ends in a character split by the 10-byte limit.

    GDAL cannot pass such a name on as UTF-8, so it is read byte by byte instead (see
    :func:`geoplan.io.read_layer`).
    """
    enc = encoding or cpg_encoding(path)
    if enc is None or enc.replace("-", "").upper() != "UTF8":
        return False
    names = dbf_field_names(path)
    # a name that is not UTF-8 even allowing for the cut means the encoding is wrong instead
    return all(_decodes(n, "utf-8", cut=True) for n in names) and any(
        not _decodes(n, "utf-8") for n in names
    )
