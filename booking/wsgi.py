"""The production entry point: gunicorn 'booking.wsgi:app'.

Production mode is on unless BOOKING_PRODUCTION=0 is set explicitly.
"""

from __future__ import annotations

import os

from werkzeug.middleware.proxy_fix import ProxyFix

from booking import create_app

app = create_app({"PRODUCTION": os.environ.get("BOOKING_PRODUCTION", "1") != "0"})
if app.config["PROXY_COUNT"]:
    proxies = int(app.config["PROXY_COUNT"])
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
