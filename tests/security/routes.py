"""Every route of the app, read from `app.url_map`, so a new route is covered the day it is added."""

from collections.abc import Iterator
from dataclasses import dataclass

from flask import Flask
from werkzeug.routing import Rule

# Placeholder values for URL arguments: enough to reach the view (which may then answer 404).
PLACEHOLDERS = {"int": 1, "float": 1.0, "path": "x", "uuid": "00000000-0000-0000-0000-000000000000"}
SLUG_PLACEHOLDER = "faq"


@dataclass(frozen=True)
class Route:
    endpoint: str
    rule: str
    methods: frozenset[str]
    url: str

    @property
    def area(self) -> str:
        return self.rule.strip("/").split("/", 1)[0]


def _fill(rule: Rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        kind = type(converter).__name__.removesuffix("Converter").lower()
        if kind in {"integer", "int"}:
            values[name] = 1
        elif kind in PLACEHOLDERS:
            values[name] = PLACEHOLDERS[kind]
        else:
            values[name] = SLUG_PLACEHOLDER if name == "slug" else "x"
    path = rule.rule
    for name, value in values.items():
        path = _replace(path, name, str(value))
    return path


def _replace(path: str, name: str, value: str) -> str:
    start = path.find("<")
    while start != -1:
        end = path.find(">", start)
        inner = path[start + 1 : end]
        if inner.split(":")[-1] == name:
            return path[:start] + value + path[end + 1 :]
        start = path.find("<", end)
    return path


def routes(app: Flask) -> Iterator[Route]:
    for rule in app.url_map.iter_rules():
        methods = frozenset(rule.methods or ()) - {"HEAD", "OPTIONS"}
        yield Route(rule.endpoint, rule.rule, methods, _fill(rule))


def post_routes(app: Flask) -> list[Route]:
    return sorted((r for r in routes(app) if "POST" in r.methods), key=lambda r: r.rule)


def get_routes(app: Flask) -> list[Route]:
    return sorted((r for r in routes(app) if "GET" in r.methods), key=lambda r: r.rule)
