"""Submit a page's form the way a browser would: every input as rendered, with some values replaced."""

from bs4 import BeautifulSoup
from werkzeug.datastructures import MultiDict


def form_values(html: str, action: str | None = None) -> tuple[str, dict[str, list[str]]]:
    """The first POST form (or the one posting to `action`): its action and its successful controls."""
    soup = BeautifulSoup(html, "html.parser")
    forms = [f for f in soup.find_all("form") if (f.get("method") or "get").lower() == "post"]
    forms = [f for f in forms if not (f.get("action") or "").endswith("/logout")]  # the header's sign-out
    if action is not None:
        forms = [f for f in forms if (f.get("action") or "").split("?")[0] == action]
    assert forms, f"no POST form{' to ' + action if action else ''} on the page"
    form = forms[0]
    values: dict[str, list[str]] = {}
    for control in form.find_all(["input", "textarea", "select"]):
        name = control.get("name")
        if not name or control.has_attr("disabled"):
            continue
        kind = (control.get("type") or "text").lower()
        if control.name == "textarea":
            values.setdefault(name, []).append(control.get_text())
        elif control.name == "select":
            chosen = control.find("option", selected=True) or control.find("option")
            if chosen is not None:
                values.setdefault(name, []).append(chosen.get("value", chosen.get_text()))
        elif kind in {"checkbox", "radio"}:
            if control.has_attr("checked"):
                values.setdefault(name, []).append(control.get("value", "on"))
        elif kind not in {"submit", "button", "reset", "image", "file"}:
            values.setdefault(name, []).append(control.get("value", ""))
    return form.get("action") or "", values


def submit(client, page_url: str, overrides: dict, action: str | None = None, follow: bool = True):
    """GET the page, fill its form with the rendered values and `overrides` (None drops a field), POST it."""
    page = client.get(page_url)
    assert page.status_code == 200, f"{page_url}: {page.status_code}"
    return submit_html(client, page.get_data(as_text=True), page_url, overrides, action, follow)


def submit_html(
    client, html: str, page_url: str, overrides: dict, action: str | None = None, follow: bool = True
):
    """Submit the form found in `html` (e.g. a confirmation page just returned)."""
    target, values = form_values(html, action)
    for name, value in overrides.items():
        if value is None:
            values.pop(name, None)
        else:
            values[name] = value if isinstance(value, list) else [value]
    data = MultiDict([(name, v) for name, items in values.items() for v in items])
    return client.post(target or page_url, data=data, follow_redirects=follow)
