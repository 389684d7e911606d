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
# /healthz answers 503 (take this node out) when the disk holding the instance folder
# or the SQLite file has less than this many MiB free, and waits this many seconds at
# most for the database's write lock.
HEALTH_MIN_FREE_MB = 200
HEALTH_LOCK_TIMEOUT = 1
# Production mode (BOOKING_PRODUCTION=1, set by booking.wsgi): strict secret, secure cookies.
PRODUCTION = False
# Staff sessions end after this long unused, and this long after signing in at the latest.
STAFF_IDLE_MINUTES = 30
STAFF_SESSION_HOURS = 12
# Sign-in throttling: wrong passwords allowed per account from one address, and from
# one address over all accounts, in each window of this many minutes.
SIGN_IN_ATTEMPTS = 5
SIGN_IN_ADDRESS_ATTEMPTS = 30
SIGN_IN_WINDOW_MINUTES = 15
# Limits on anonymous clients (sign-in and online booking). False turns every limit
# off: for load tests only; production mode warns. The values for online booking are
# the owner's, on the settings page.
RATE_LIMITS = True
# The booking form is refused if sent back sooner than this after it was shown
# (a person reads and fills it in far longer; form-filling programs do not).
BOT_MIN_FILL_SECONDS = 3
# Where the limits' counters live: empty for the database, or a Redis URL
# (redis://host:6379/0) to keep them in Redis instead.
RATE_LIMIT_STORE = ""
# Behind a reverse proxy, how many proxies to trust for X-Forwarded-* headers.
PROXY_COUNT = 0

# Email. Without an SMTP host, messages are written as .eml files under instance/outbox/.
SMTP_HOST = ""
SMTP_PORT = 587
SMTP_STARTTLS = True
SMTP_USER = ""
SMTP_PASSWORD = ""
# Seconds to wait for the SMTP server at each step before counting the attempt failed.
SMTP_TIMEOUT = 10
# The sender address; empty means the clinic's own email from its settings.
MAIL_FROM = ""
# Where every absolute link points (emails, calendar files, the manage and feed links
# pages show): the address patients reach the site at. Never the request's Host.
BASE_URL = "http://127.0.0.1:5000"
# Host names requests may arrive for; others are answered 400. None accepts any.
TRUSTED_HOSTS = None
# How long before an appointment the reminder goes out.
REMINDER_HOURS = 24
# Delivery: messages claimed per batch, how long a claim holds, attempts before giving up.
OUTBOX_BATCH_SIZE = 10
OUTBOX_LEASE_SECONDS = 600
OUTBOX_MAX_ATTEMPTS = 12
# Webhooks: seconds to wait at each step of a delivery (connect, send, answer). In
# production endpoints must be https:// and on the internet; True also lets them be in a
# private network (a receiver inside the clinic's own), never plain http.
WEBHOOK_TIMEOUT_SECONDS = 10
WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
# How many availability answers each worker keeps (0 turns the cache off).
AVAILABILITY_CACHE_SIZE = 64
