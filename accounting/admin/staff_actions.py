"""The audit trail of what staff did in this admin: read-only.

Staff accounts and groups are edited under the trail too.
"""

from django.contrib import admin

from accounting import models
from config.admin import StaffActionAdmin, audit_staff_admins

admin.site.register(models.StaffAction, StaffActionAdmin)
audit_staff_admins(admin.site, users=True)
