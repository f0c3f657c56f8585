"""``manage.py`` commands of the users service."""
