from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "index.html", {"archive": reverse("article-year", args=[2026])})


def article_year(request: HttpRequest, year: int) -> JsonResponse:
    return JsonResponse(
        {
            "framework": "django",
            "year": year,
            "self": reverse("article-year", args=[year]),
            "index": reverse("index"),
            "stylesheet": static("djangosite/site.css"),
            "script_name": request.META.get("SCRIPT_NAME", ""),
        }
    )
