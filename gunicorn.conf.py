"""Gunicorn settings for production: ``gunicorn -c gunicorn.conf.py wsgi:app``.

The access log carries neither query strings (the gate and /me take ``?token=``) nor
client addresses (a full IP is never logged).
"""

import os

bind = os.environ.get("CONSENT_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("CONSENT_THREADS", "4"))
timeout = 30
graceful_timeout = 20
accesslog = "-"
access_log_format = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(D)sus'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
