"""Test-run environment, set before Django reads its settings (loaded with `-p`, see pyproject).

The suite runs the production settings (DEBUG off) so it tests what production runs; only the
HTTPS redirect is off, because the test client speaks plain HTTP.
"""

import os

os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# Production refuses to start without a secret key; the test run uses a throwaway one.
os.environ.setdefault("SECRET_KEY", "test-only-key-not-secret-" + "x" * 40)
# The suite's callback receivers and fake 8x8 listen on 127.0.0.1 over plain http: allowed on
# purpose here, as a deployment with a receiver inside its network would (masking/outbound.py).
os.environ.setdefault("MASKING_OUTBOUND_ALLOW_PRIVATE", "true")
