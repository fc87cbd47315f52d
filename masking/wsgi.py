"""WSGI entry point, served by gunicorn in production: `gunicorn masking.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masking.settings")

application = get_wsgi_application()
