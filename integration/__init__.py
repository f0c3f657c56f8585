"""The integration gateway: the platform's only public API."""
