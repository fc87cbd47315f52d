"""Gunicorn's logger, with people's numbers redacted (`gunicorn.conf.py` names it).

Gunicorn writes its access log itself, outside Django's LOGGING: request lines and query strings
carry numbers (`GET /api/sessions/?participant=%2B6591230001`, the admin's `?q=`), and so may
the referer. The filter on both of its logs turns each run of 8 to 15 digits into "+65 ••••••01".
"""

from gunicorn.glogging import Logger

from masking.privacy import RedactPhoneNumbersFilter


class RedactingLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        # On the loggers, not their handlers: gunicorn replaces handlers when it reopens files.
        for log in (self.access_log, self.error_log):
            if not any(isinstance(f, RedactPhoneNumbersFilter) for f in log.filters):
                log.addFilter(RedactPhoneNumbersFilter())
