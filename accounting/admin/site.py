"""The accounting admin site's names."""

from django.conf import settings
from django.contrib import admin

# The service's name in the branding (templates/admin/base_site.html);
# "View site" is the gateway's landing page, as in the users admin.
admin.site.site_header = "accounting"
admin.site.index_title = "Plans, holders, rates and the ledger"
admin.site.site_url = settings.GATEWAY_PUBLIC_URL
