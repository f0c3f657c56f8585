"""Cache invalidation on every write of plans, rates and categories.

Model signals rather than calls in each service: the admin's forms and
bulk delete action, the services, ``seed_demo`` and any later write path
all go through ``save()``/``delete()``, so none can forget to invalidate.
Queryset ``update()`` sends no signal: code that bulk-updates these models
must call :func:`accounting.cache.invalidate` itself. The version moves on
commit (see :mod:`accounting.cache`).
"""

from typing import Any

from django.db.models.signals import post_delete, post_save

from accounting import cache, models

# Which cache namespaces hold answers read from each model.
NAMESPACES: dict[type, tuple[str, ...]] = {
    models.Plan: ("plans",),
    models.Rate: ("rates",),
    models.Category: ("categories",),
}


def invalidate_for(sender: type, **kwargs: Any) -> None:
    """Invalidates the namespaces read from ``sender``'s rows.

    Args:
        sender: The model class whose row was saved or deleted.
        **kwargs: The signal's other arguments (unused).
    """
    del kwargs
    for namespace in NAMESPACES[sender]:
        cache.invalidate(namespace)


def connect() -> None:
    """Connects :func:`invalidate_for` to saves and deletes of each model."""
    for model in NAMESPACES:
        uid = f"accounting.cache.{model.__name__}"
        post_save.connect(invalidate_for, sender=model, dispatch_uid=uid)
        post_delete.connect(invalidate_for, sender=model, dispatch_uid=uid)
