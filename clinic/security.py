"""Security headers on every response, errors included, and the redirect to HTTPS."""

from urllib.parse import urlsplit

from flask import Flask, g, redirect, request
from flask_talisman import Talisman

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

talisman = Talisman()


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def init_app(app: Flask) -> None:
    talisman.init_app(
        app,
        force_https=False,  # ours below: Talisman's would believe any client's X-Forwarded-Proto
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        content_security_policy=CSP,
        content_security_policy_nonce_in=[],
        frame_options="DENY",
        referrer_policy="same-origin",
        strict_transport_security=not app.debug,
        x_xss_protection=False,
        permissions_policy=PERMISSIONS_POLICY,
    )

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
    def no_store(response):
        """Pages may carry health data or tokens: never let a shared or browser cache keep them."""
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response
