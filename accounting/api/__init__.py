"""The internal HTTP API of the accounting service (docs/internal-api.md).

One module per role, beside the service or selector it calls
(``api/movements.py`` beside ``services/movements.py``); one view per path,
HTTP only: parse with the nested ``InputSerializer``, call one selector or
service, render. Responses are built by ``accounting.wire`` (lean, and
identical on an idempotent replay); each view's ``OutputSerializer``
documents that shape in the OpenAPI schema. Every error is a problem
document with a stable code; ``api/problems.py`` gives each code its status.
"""
