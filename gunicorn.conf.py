"""Production server settings: `gunicorn -c gunicorn.conf.py "clinic:create_app()"`.

Workers and threads come from the environment so one file serves every host size. The access log is off by
default: its request lines would carry manage-link paths. Turn it on with GUNICORN_ACCESS_LOG=- only together
with the redacting filter that the app installs on the `gunicorn.access` logger (tokens in paths, search
terms, `next` and other parameters). Its lines leave out the referer, another page's URL.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(a)s" %(L)s'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
control_socket_disable = True
