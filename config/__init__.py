"""Django projects for the three services, and what they share.

Each service (users, accounting, integration) has its own settings package
under ``config/``. Modules directly in ``config/`` are shared by all three:
settings common to every service, the Celery app, the wire contracts between
services, RFC 9457 problem details, money parsing and service credentials.
"""
