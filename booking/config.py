"""Non-secret defaults. Override in instance/config.py or with BOOKING_* variables."""

# Only for local development; production mode refuses to start with it.
SECRET_KEY = "dev-insecure-change-me"  # noqa: S105 (a known dev value, refused in production)
# Empty means SQLite in the instance folder (booking.sqlite3).
DATABASE_URL = ""
SQLALCHEMY_ENGINE_OPTIONS: dict = {}
WTF_CSRF_TIME_LIMIT = None
MAX_CONTENT_LENGTH = 64 * 1024
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Seconds to wait for SQLite's write lock before giving up.
SQLITE_BUSY_TIMEOUT = 15
# Production mode (BOOKING_PRODUCTION=1, set by booking.wsgi): strict secret, secure cookies.
PRODUCTION = False
# Behind a reverse proxy, how many proxies to trust for X-Forwarded-* headers.
PROXY_COUNT = 0
