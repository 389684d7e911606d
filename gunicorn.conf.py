"""gunicorn's settings for the booking service.

gunicorn reads this file by itself when started from the repository root (or name it
with `-c gunicorn.conf.py`). Flags on the command line, or in GUNICORN_CMD_ARGS, win
over it: `--bind`, `--workers`, `--access-logfile /var/log/booking/access.log`.

The access log never holds a secret: manage and feed tokens in paths become
`[token]`, and staff pages' query strings (patient searches) are dropped
(`booking/access_log.py`).
"""

wsgi_app = "booking.wsgi:app"
bind = "127.0.0.1:8000"
workers = 4
worker_class = "sync"
# The masking logger; access and error logs go to standard output and error.
logger_class = "booking.access_log.Logger"
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'
