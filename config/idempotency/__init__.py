"""Idempotency keys, the same for every service.

A POST that creates something (money moved, a user, a goal, a group) may
carry an ``Idempotency-Key``: sent again with the same key and body, it
answers the first answer again and applies nothing twice. The rule has
three parts, one module each:

- :mod:`config.idempotency.keys`: the header, its format and the header of
  a replayed answer (the gateway and both services check it);
- :mod:`config.idempotency.fingerprints`: the hash that tells a retry from
  another request, and the lock id of a key;
- :mod:`config.idempotency.store`: the lock, the lookup and the stored
  answer, in the service's own table and transaction (users and
  accounting).
"""
