"""The users service's internal HTTP API, called by the gateway only.

One view per operation (the GET, PATCH and DELETE of one user share a URL,
hence one class): each parses its input, calls one service or selector and
renders. The contract is ``docs/internal-api.md``; every error is a problem
document with a stable code (``users.errors``, ``config.errors``), answered
with the status ``api/problems.py`` gives it.
"""
