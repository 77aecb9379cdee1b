"""One form for the route templates of eight frameworks.

Flask `<int:id>`, Sanic `<id:int>` (no leading slash), FastAPI/Falcon/Pyramid `{id:int}` or
`{id:\\d+}`, Django `<uuid:pk>` or DRF regexes `^orders/(?P<pk>[^/.]+)/$`, Pyramid `*subpath`,
Tornado regexes: all become `/orders/{pk}`. A request that matched no route is labelled
`UNMATCHED` so that a scanner cannot blow up the metrics' label cardinality.
"""

from __future__ import annotations

import functools
import re

UNMATCHED = "<unmatched>"

# Converter-first placeholders (`<int:id>`) in Flask/Werkzeug and Django; Sanic puts the name first.
_CONVERTERS = {"string", "str", "int", "float", "path", "uuid", "any", "default", "slug"}
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


@functools.lru_cache(maxsize=1024)
def normalise_route(template: str | None) -> str:
    if template is None:
        return UNMATCHED
    route = template.strip()
    route = route.removeprefix("^")
    for suffix in ("/?$", "$", r"\Z"):
        route = route.removesuffix(suffix)
    route = _replace_groups(route)
    route = _replace_angles(route)
    route = _replace_braces(route)
    route = re.sub(r"\*(\w+)", r"{\1}", route)
    route = route.replace("\\", "")
    if not route.startswith("/"):
        route = "/" + route
    return route


def _scan_balanced(text: str, start: int, open_: str, close: str) -> int:
    """Index just past the bracket that closes the one at `start`."""
    depth = 0
    i = start
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == open_:
            depth += 1
        elif char == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


def _replace_groups(route: str) -> str:
    out, i, unnamed = [], 0, 0
    while i < len(route):
        if route[i] == "\\":
            out.append(route[i : i + 2])
            i += 2
            continue
        if route[i] == "<":  # a Flask/Django/Sanic placeholder, whose converter may hold parens
            end = _scan_balanced(route, i, "<", ">")
            out.append(route[i:end])
            i = end
            continue
        if route[i] == "(":
            end = _scan_balanced(route, i, "(", ")")
            named = re.match(r"\(\?P<(\w+)>", route[i:end])
            if named:
                out.append("{" + named.group(1) + "}")
            elif route.startswith("(?:", i):
                out.append(_replace_groups(route[i + 3 : end - 1]))
            else:
                unnamed += 1
                out.append(f"{{arg{unnamed}}}")
            i = end
            continue
        out.append(route[i])
        i += 1
    return "".join(out)


def _replace_angles(route: str) -> str:
    def name_of(match: re.Match[str]) -> str:
        first, _, second = match.group(1).partition(":")
        converter = first.split("(", 1)[0]
        if second and converter in _CONVERTERS and _IDENTIFIER.fullmatch(second):
            return "{" + second + "}"
        return "{" + first + "}"

    return re.sub(r"<([^<>]+)>", name_of, route)


def _replace_braces(route: str) -> str:
    out, i = [], 0
    while i < len(route):
        if route[i] == "{":
            end = _scan_balanced(route, i, "{", "}")
            name = route[i + 1 : end - 1].split(":", 1)[0]
            out.append("{" + name + "}")
            i = end
            continue
        out.append(route[i])
        i += 1
    return "".join(out)
