"""The accounting admin site's names."""

from django.contrib import admin

# The service's name in the branding (templates/admin/base_site.html).
admin.site.site_header = "accounting"
admin.site.index_title = "Plans, holders, rates and the ledger"
