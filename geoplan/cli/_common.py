"""Pieces shared by the CLI commands: the COUNTY argument, --out, reading SRC options."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import click

if TYPE_CHECKING:
    import geopandas as gpd
    from pyproj import CRS

    from geoplan.county import County
    from geoplan.io import RunRecord

F = TypeVar("F", bound=Callable[..., Any])

MAPS_DIR = Path("maps")


def county_argument(f: F) -> F:
    """``[COUNTY]``: a county-package folder (default: the bundled demo county)."""
    return click.argument("county", required=False, type=click.Path(path_type=str))(f)


def out_option(f: F) -> F:
    """``--out DIR`` (default ``maps/<county>/`` or a sub-folder of it)."""
    return click.option(
        "--out",
        type=click.Path(file_okay=False, path_type=str),
        default=None,
        help="Output folder (default: maps/<county>/...).",
    )(f)


def open_county(arg: str | None) -> County:
    """Open the county package at ``arg``; with None, the bundled demo county."""
    from geoplan.county import County

    if arg is None:
        from geoplan.datasets import demo_path

        return County.open(demo_path())
    return County.open(arg)


def resolve_county(
    arg: str | None,
    *,
    sources: Mapping[str, str | None],
    required: Sequence[tuple[str, ...]],
    options: Mapping[str, str] | None = None,
    drop: Sequence[str] = (),
    as_of: str | None = None,
    fields: Mapping[str, Mapping[str, str]] | None = None,
    layer_crs: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
) -> County:
    """The county a command runs on, its ``[parameters.*]`` checked before any layer is read.

    With COUNTY (``arg``) — or with no SRC option at all, the bundled demo county — the package,
    its layers replaced by the SRC options given (``sources``: role → SRC or None) and the roles
    in ``drop`` removed. Without COUNTY but with SRC options, a county of just those files: then
    each group of ``required`` roles needs one of them (never the demo's layers mixed with
    yours). ``options`` names each role's command-line option for messages (default
    ``--<role>``); ``as_of``, ``fields``, ``layer_crs`` and ``units`` override the county's.
    """
    from geoplan.county import County

    given = {role: src for role, src in sources.items() if src is not None}
    names = dict(options or {})
    if arg is None and given:
        missing = [group for group in required if not any(r in given for r in group)]
        if missing:
            wanted = " and ".join(
                "/".join(sorted({names.get(r, f"--{r}") for r in group})) + " SRC"
                for group in missing
            )
            raise click.UsageError(
                f"Without a COUNTY give {wanted} too (or a county package folder as COUNTY)."
            )
        county = County.from_sources(
            given, as_of=as_of, fields=fields, layer_crs=layer_crs, units=units
        )
    else:
        county = open_county(arg)
        changes: dict[str, str | None] = {**given, **{role: None for role in drop}}
        if changes or as_of or fields or layer_crs or units:
            county = county.with_overrides(
                sources=changes, as_of=as_of, fields=fields, layer_crs=layer_crs, units=units
            )
    county.check_parameters()
    return county


def out_dir(out: str | None, county: County | None, sub: str | None = None) -> Path:
    """The folder to write into, created if needed and proved writable.

    ``--out`` wins; otherwise ``maps/<county slug>/<sub>`` (``maps/custom/<sub>`` without a county).
    Commands call it before any analysis runs, so a folder that cannot be written (read-only,
    under a file, disk full) is an error at once (:class:`~geoplan.errors.OutputError`, exit 2).
    """
    from geoplan.io import ensure_writable_dir

    if out is not None:
        path = Path(out)
    else:
        path = MAPS_DIR / (county.slug if county is not None else "custom")
        if sub:
            path = path / sub
    return ensure_writable_dir(path, what="--out folder" if out is not None else "output folder")


def tiles_option(f: F) -> F:
    """``--tiles URL``: a base-map tile URL template, checked when the command line is parsed."""

    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is None:
            return None
        from geoplan.errors import InputError
        from geoplan.maps import check_tiles

        try:
            return check_tiles(value)
        except InputError as exc:
            raise click.BadParameter(str(exc)) from None

    return click.option(
        "--tiles",
        default=None,
        metavar="URL",
        callback=check,
        help="Tile URL template for a base map: http(s) or file URL with {z}, {x}, {y} (and "
        "optionally {s}, {r}), e.g. https://host/{z}/{x}/{y}.png; default none (offline).",
    )(f)


def read_source(
    src: str,
    *,
    role: str,
    crs: CRS | None = None,
    fields: dict[str, str] | None = None,
    source_crs: str | None = None,
    units: dict[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Read a ``path`` or ``path:layer`` SRC option for a role, projected to ``crs``/metric.

    ``fields``, ``source_crs`` and ``units`` are passed to :func:`geoplan.io.read_layer`.
    """
    from geoplan.crs import to_metric
    from geoplan.io import read_layer, read_report

    gdf = read_layer(src, role=role, fields=fields, source_crs=source_crs, units=units)
    rep = read_report(gdf)
    out = to_metric(gdf, crs, name=f"{role} ({src})")
    if rep is not None:
        out.attrs["read_report"] = rep
    return out


def parse_assignments(values: tuple[str, ...], *, option: str) -> dict[str, dict[str, str]]:
    """``("supplies.agreed_start=YDDG", …)`` → ``{"supplies": {"agreed_start": "YDDG"}}``.

    Raises :class:`click.BadParameter` for a value not written ``ROLE.FIELD=COLUMN``.
    """
    out: dict[str, dict[str, str]] = {}
    for value in values:
        key, sep, column = value.partition("=")
        role, dot, name = key.strip().partition(".")
        if not (sep and dot and role and name and column.strip()):
            raise click.BadParameter(
                f"{value!r}: write it as ROLE.FIELD=COLUMN, e.g. supplies.agreed_start=YDDG",
                param_hint=option,
            )
        out.setdefault(role, {})[name.strip()] = column.strip()
    return out


def parse_role_values(values: tuple[str, ...], *, option: str) -> dict[str, str]:
    """``("supplies=EPSG:4527", …)`` → ``{"supplies": "EPSG:4527"}``."""
    out: dict[str, str] = {}
    for value in values:
        role, sep, text = value.partition("=")
        if not (sep and role.strip() and text.strip()):
            raise click.BadParameter(
                f"{value!r}: write it as ROLE=VALUE, e.g. supplies=EPSG:4527", param_hint=option
            )
        out[role.strip()] = text.strip()
    return out


def database_options(f: F) -> F:
    """``--to URL``, ``--mode replace|append`` and ``--adcode CODE``: write the result into a
    PostGIS database as well as into files."""
    f = click.option(
        "--adcode",
        metavar="CODE",
        default=None,
        help="The county's adcode (行政区划代码) that keys its runs in the database (default: "
        "[county] adcode of county.toml; needed with --to for a county made of SRC files).",
    )(f)
    f = click.option(
        "--mode",
        type=click.Choice(["replace", "append"]),
        default=None,
        help="With --to: replace (default) the earlier runs of this county, as-of date and "
        "analysis in the database, or append a new run beside them.",
    )(f)
    return click.option(
        "--to",
        "to_url",
        metavar="URL",
        default=None,
        help="Also write the result into PostGIS, in one transaction: "
        "postgresql://user@host:5432/db#schema (password from PGPASSWORD or ~/.pgpass).",
    )(f)


def database_target(
    to_url: str | None, mode: str | None, adcode: str | None, county: County
) -> tuple[str, str, Literal["replace", "append"]] | None:
    """``(url, adcode, mode)`` of ``--to``, checked before any analysis runs (the server
    answers, PostGIS is there, the schema can be written), or None without ``--to``."""
    if to_url is None:
        if mode is not None or adcode is not None:
            raise click.UsageError("--mode and --adcode only go with --to URL.")
        return None
    from geoplan.errors import InputError
    from geoplan.io import check_postgis_target

    code = adcode or county.adcode
    if not code:
        raise InputError(
            f"--to needs the county's adcode (行政区划代码) to key its runs in the database, and "
            f"{county.name} has none: give --adcode CODE, or set [county] adcode in county.toml."
        )
    check_postgis_target(to_url)
    return to_url, code, "append" if mode == "append" else "replace"


def database_message(record: RunRecord, url: str) -> str:
    """One line saying what a database write did."""
    from geoplan.io import parse_database_source

    where = parse_database_source(url, need_table=False).conninfo
    rows = sum(record.tables.values())
    replaced = (
        f", replacing run(s) {', '.join(map(str, record.replaced))}" if record.replaced else ""
    )
    return (
        f"Wrote run {record.run_id} ({rows:,} rows in {len(record.tables)} tables) to "
        f"{where}#{record.schema}{replaced}"
    )
