"""ASGI entry point (an ASGI server such as uvicorn: ``uvicorn hocvu.asgi:application``).

The views are synchronous; under ASGI Django runs each in a worker thread. The production
configuration is WSGI (deploy/gunicorn.conf.py); BENCHMARKS.md compares the two.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hocvu.settings")
application = get_asgi_application()
