from __future__ import annotations

from django.urls import path

from djangosite import views

urlpatterns = [
    path("", views.index, name="index"),
    path("articles/<int:year>/", views.article_year, name="article-year"),
]
