"""A minimal Django project (no database) served by ``egg:wsgikit#wsgi``."""
