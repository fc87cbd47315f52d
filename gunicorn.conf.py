"""Gunicorn configuration for production and the load benchmark: `gunicorn -c gunicorn.conf.py
masking.wsgi`. Settings are read from the environment with the defaults below."""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))

# Access log on stdout, in gunicorn's common format, with people's numbers redacted from request
# lines, query strings and referers (masking/gunicorn_logging.py).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
logger_class = "masking.gunicorn_logging.RedactingLogger"
