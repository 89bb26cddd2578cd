"""Security headers on every response, errors included, and the redirect to HTTPS.

The headers are the same for every response of a kind (over HTTPS or not), so they are written out once when
the app is built and copied onto each response, rather than rebuilt from the policies on every request. They
are exactly those Flask-Talisman set before (tests/security/test_header_set.py holds the recorded set).
"""

from urllib.parse import urlsplit

from flask import Flask, g, redirect, request

CSP = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# Every powerful browser feature off: no page of the clinic needs a camera, a location or a payment.
POWERFUL_FEATURES = (
    "accelerometer",
    "autoplay",
    "browsing-topics",
    "camera",
    "display-capture",
    "encrypted-media",
    "geolocation",
    "gyroscope",
    "hid",
    "identity-credentials-get",
    "idle-detection",
    "local-fonts",
    "magnetometer",
    "microphone",
    "midi",
    "otp-credentials",
    "payment",
    "picture-in-picture",
    "publickey-credentials-create",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "storage-access",
    "usb",
    "web-share",
    "window-management",
    "xr-spatial-tracking",
)
PERMISSIONS_POLICY = dict.fromkeys(POWERFUL_FEATURES, "()")
# Load balancers probe over plain HTTP inside the network: no redirect to HTTPS for the health check.
HTTPS_EXEMPT = frozenset({"public.healthz"})

HSTS = "max-age=31556926; includeSubDomains"  # a year, this host and its subdomains, no preload

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

Headers = tuple[tuple[str, str], ...]


def header_kinds(*, hsts: bool) -> tuple[Headers, Headers]:
    """The security headers of a response over plain HTTP, and of one over HTTPS."""
    plain = (
        ("Permissions-Policy", ", ".join(f"{name}={value}" for name, value in PERMISSIONS_POLICY.items())),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Content-Security-Policy", "; ".join(f"{name} {value}" for name, value in CSP.items())),
        ("Referrer-Policy", "same-origin"),
    )
    return plain, (*plain, ("Strict-Transport-Security", HSTS)) if hsts else plain


def init_app(app: Flask) -> None:
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    plain, secure = header_kinds(hsts=not app.debug)

    if app.config["FORCE_HTTPS"]:

        def https_only():
            """Send plain-HTTP requests to HTTPS. Whether a request came over HTTPS, and which host it named,
            is read from X-Forwarded-Proto and X-Forwarded-Host only through ProxyFix, i.e. only when
            PROXY_COUNT says how many proxies to trust; a client's own headers change nothing."""
            if request.is_secure or request.endpoint in HTTPS_EXEMPT:
                return None
            return redirect(
                request.url.replace("http://", "https://", 1),
                301 if request.method in {"GET", "HEAD"} else 308,
            )

        # First of all hooks, before the CSRF check or a session is read: nothing is served over HTTP.
        app.before_request_funcs.setdefault(None, []).insert(0, https_only)

    if not app.config.get("BASE_URL"):
        # Development without CLINIC_BASE_URL: emailed links follow the address the app is served on
        # (`flask run --port 5001`), read from the request only when it names this machine, so no other
        # Host header can ever reach an email. Every other start has a BASE_URL (config.py).
        @app.before_request
        def remember_served_origin():
            if urlsplit(request.host_url).hostname in LOOPBACK_HOSTS:
                g.served_origin = request.host_url.rstrip("/")

    @app.after_request
    def security_headers(response):
        """The kind's headers. Pages may carry health data or tokens: never let a shared or browser cache
        keep them (static files say for themselves how long they may be kept).

        HTTPS is read as before: the request's scheme, or X-Forwarded-Proto, which at worst adds HSTS to a
        plain-HTTP response, where browsers ignore it."""
        headers = response.headers
        if request.endpoint != "static":
            headers["Cache-Control"] = "no-store"
        over_https = request.is_secure or request.headers.get("X-Forwarded-Proto") == "https"
        for name, value in secure if over_https else plain:
            headers[name] = value
        return response
