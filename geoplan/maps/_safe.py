"""Text from data, file names, county.toml or options onto a page, inert: :func:`safe_json` for
script data, :func:`safe_html` / :func:`safe_html_all` for markup, :func:`inert_html` for markup a
caller wrote. folium/branca render every element a second time as a Jinja2 template, so no
``{{``, ``{%`` or ``{#`` may survive, and no ``</script`` may end a script element."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from typing import Any

__all__ = ["inert_html", "safe_html", "safe_html_all", "safe_json"]


# A JSON string literal (the unrolled form runs in C: fast on megabytes of base64).
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')


def _brace_free(match: re.Match[str]) -> str:
    s = match.group(0)
    if "{" not in s and "}" not in s:
        return s
    return s.replace("{", "\\u007b").replace("}", "\\u007d")


def _has_brace(obj: Any) -> bool:
    """Whether any string (or key) in a JSON-able object holds ``{`` or ``}``."""
    if isinstance(obj, str):
        return "{" in obj or "}" in obj
    if isinstance(obj, dict):
        return any(_has_brace(k) or _has_brace(v) for k, v in obj.items())
    if isinstance(obj, list | tuple):
        try:  # a list of strings (popup columns): one C-speed pass
            joined = "".join(obj)
        except TypeError:
            return any(_has_brace(v) for v in obj)
        return "{" in joined or "}" in joined
    return False


def safe_json(obj: Any) -> str:
    """JSON text that is inert wherever it is pasted: in a ``<script>`` and in a Jinja2 template.

    This and :func:`safe_html` are the only ways text from data, file names, ``county.toml`` or
    options reaches a page. folium/branca render every element's output a second time as a Jinja2
    template, so a ``{{``, ``{%`` or ``{#`` from the data would be evaluated; here every ``{`` and
    ``}`` inside a string is written ``\\u007b`` / ``\\u007d`` (the same string to JSON and
    JavaScript), and ``<`` as ``\\u003c`` so that no ``</script`` or ``<!--`` can end the script
    element. JSON's own braces are never adjacent to ``{``, ``%`` or ``#``, so the text holds no
    template syntax at all. NaN and infinity are refused (they are not JSON).

    Examples
    --------
    >>> text = safe_json({"name": "{{ 7*6 }}</script>"})
    >>> text
    '{"name":"\\\\u007b\\\\u007b 7*6 \\\\u007d\\\\u007d\\\\u003c/script>"}'
    >>> json.loads(text)["name"]
    '{{ 7*6 }}</script>'
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if _has_brace(obj):  # the regex pass costs ~10 ns a character: skip it when it has no work
        text = _JSON_STRING.sub(_brace_free, text)
    # "<" is all that can end a script element ("</script") or open a comment ("<!--")
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def safe_html(text: Any) -> str:
    """Text as HTML that shows it literally and holds no template syntax.

    ``html.escape`` (``<>&"'``) plus ``{`` / ``}`` as the character references ``&#123;`` /
    ``&#125;``, which a browser shows as braces and Jinja2 never sees as ``{{``, ``{%`` or ``{#``.
    Use it for every string that becomes markup: layer names, legend and popup text, titles.

    Examples
    --------
    >>> safe_html("<b>{% if %}</b>")
    '&lt;b&gt;&#123;% if %&#125;&lt;/b&gt;'
    """
    out = html.escape(str(text), quote=True)
    if "{" in out or "}" in out:
        out = out.replace("{", "&#123;").replace("}", "&#125;")
    return out


def safe_html_all(values: Sequence[Any]) -> list[str]:
    """:func:`safe_html` of each value (fast for the 10⁵ values of a popup column).

    Examples
    --------
    >>> safe_html_all(["a<b", "{{ x }}"])
    ['a&lt;b', '&#123;&#123; x &#125;&#125;']
    """
    out = [html.escape(str(v), quote=True) for v in values]
    joined = "".join(out)
    if "{" in joined or "}" in joined:
        out = [v.replace("{", "&#123;").replace("}", "&#125;") for v in out]
    return out


def inert_html(markup: str) -> str:
    """Markup a caller wrote (e.g. a tile attribution), kept as HTML but with its braces as
    character references, so that it cannot become template syntax.

    Examples
    --------
    >>> inert_html('<a href="https://x.org">{{ x }}</a>')
    '<a href="https://x.org">&#123;&#123; x &#125;&#125;</a>'
    """
    return str(markup).replace("{", "&#123;").replace("}", "&#125;")
