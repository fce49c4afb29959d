"""Settings of the example Django project: no database, no sessions, just views, URLs and static files."""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]

INSTALLED_APPS: list[str] = []
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "djangosite.urls"
DATABASES: dict[str, dict[str, str]] = {}
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"builtins": ["django.templatetags.static"]},
    }
]
# Relative: Django puts the request's SCRIPT_NAME in front (/django/static/... under the urlmap), and
# egg:wsgikit#static serves that prefix from djangosite/static.
STATIC_URL = "static/"
USE_TZ = True
