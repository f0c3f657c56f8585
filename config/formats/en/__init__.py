"""English (``LANGUAGE_CODE = "en-us"``): :mod:`config.formats.en.formats`."""
