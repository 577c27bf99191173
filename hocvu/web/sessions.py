"""Sessions in a signed cookie, each login its own.

Django's signed-cookie session is its data, signed: two logins of the same person in the
same second would carry the same cookie. A random nonce set at every login (``login``
flushes or cycles the session) makes every session distinct, so one device's session is
never another's.
"""

from __future__ import annotations

import secrets

from django.contrib.sessions.backends.signed_cookies import SessionStore as SignedCookieStore

NONCE = "_nonce"


class SessionStore(SignedCookieStore):
    def cycle_key(self) -> None:
        self[NONCE] = secrets.token_urlsafe(12)
        super().cycle_key()

    def flush(self) -> None:
        super().flush()
        self._session_cache = {NONCE: secrets.token_urlsafe(12)}
