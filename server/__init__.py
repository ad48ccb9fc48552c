"""hallq server: the queue that decides and records (domain, store, services, api, web)."""

__version__ = "0.1.0"
