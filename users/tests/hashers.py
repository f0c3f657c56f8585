"""A cheap Argon2 for tests: same algorithm, tiny cost parameters.

Production keeps Django's Argon2 defaults (about 100 MB per hash); tests
hash hundreds of passwords and would spend most of their time there.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with the smallest sensible costs."""

    time_cost = 1
    memory_cost = 64
    parallelism = 1
