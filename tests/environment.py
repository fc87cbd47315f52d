"""Test-run environment, set before Django reads its settings (loaded with `-p`, see pyproject).

The suite runs the production settings (DEBUG off) so it tests what production runs; only the
HTTPS redirect is off, because the test client speaks plain HTTP.
"""

import os

os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# Production refuses to start without a secret key; the test run uses a throwaway one.
os.environ.setdefault("SECRET_KEY", "test-only-key-not-secret-" + "x" * 40)
