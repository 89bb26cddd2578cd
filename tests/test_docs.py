"""The documents in the repository say what the code does.

docs/http.md lists exactly the URLs and methods the app serves, docs/openapi.yaml covers every JSON route,
and README and docs link only to files that exist.
"""

import re
from pathlib import Path

import pytest
from openapi_core import OpenAPI

from clinic import create_app
from tests.conftest import base_config

ROOT = Path(__file__).resolve().parents[1]
HTTP_INDEX = ROOT / "docs" / "http.md"
OPENAPI = ROOT / "docs" / "openapi.yaml"
IGNORED_METHODS = {"HEAD", "OPTIONS"}
# A table row of docs/http.md: | `URL` | METHODS | …
ROW = re.compile(r"^\| `(?P<url>/[^`]*)` \| (?P<methods>[A-Z, ]+) \|", re.M)
LINK = re.compile(r"\]\((?P<target>[^)#\s]+)(?:#[^)]*)?\)")


@pytest.fixture(scope="module")
def routes() -> dict[str, set[str]]:
    """Every URL rule of the app with its methods; no database is opened to list them."""
    app = create_app(base_config("sqlite://"))
    served: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        served.setdefault(rule.rule, set()).update((rule.methods or set()) - IGNORED_METHODS)
    return served


def documented(text: str) -> dict[str, set[str]]:
    listed: dict[str, set[str]] = {}
    for match in ROW.finditer(text):
        methods = {method.strip() for method in match["methods"].split(",")}
        assert match["url"] not in listed, f"{match['url']} is listed twice"
        listed[match["url"]] = methods
    return listed


def test_the_http_index_lists_every_url_with_its_methods(routes):
    listed = documented(HTTP_INDEX.read_text(encoding="utf-8"))
    missing = {url: sorted(methods) for url, methods in routes.items() if url not in listed}
    stale = sorted(set(listed) - set(routes))
    assert not missing, f"served but not in docs/http.md: {missing}"
    assert not stale, f"in docs/http.md but not served: {stale}"
    wrong = {
        url: (sorted(listed[url]), sorted(methods))
        for url, methods in routes.items()
        if listed[url] != methods
    }
    assert not wrong, f"methods differ (documented, served): {wrong}"


def test_the_index_reader_reads_each_row_url_and_methods():
    """The reader behind the check above: one URL a row, its methods split at commas."""
    text = "| `/staff/` | GET | | the queue |\n| `/staff/login` | GET, POST | `email` | sign in |\n"
    assert documented(text) == {"/staff/": {"GET"}, "/staff/login": {"GET", "POST"}}


def test_openapi_covers_every_json_route(routes):
    paths = OpenAPI.from_file_path(str(OPENAPI)).spec["paths"]
    json_routes = {
        url: methods for url, methods in routes.items() if url.startswith("/api/") or url == "/healthz"
    }
    as_openapi = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", url): methods for url, methods in json_routes.items()}
    assert set(paths.keys()) == set(as_openapi)
    for path, methods in as_openapi.items():
        assert {method.upper() for method in paths[path].keys()} == methods, path


@pytest.mark.parametrize("document", ["README.md", "docs/http.md"])
def test_links_point_at_files_that_exist(document):
    path = ROOT / document
    targets = [m["target"] for m in LINK.finditer(path.read_text(encoding="utf-8"))]
    local = [t for t in targets if not re.match(r"^[a-z]+:", t)]
    assert local, f"{document} links to no file of the repository"
    broken = [t for t in local if not (path.parent / t).resolve().is_file()]
    assert not broken, f"{document} links to missing files: {broken}"


def test_readme_names_no_missing_specification():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in re.findall(r"`([\w./-]+\.(?:md|yaml|yml))`", text):
        assert (ROOT / name).is_file() or (ROOT / "docs" / name).is_file(), f"README names {name}"
