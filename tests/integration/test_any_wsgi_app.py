"""Django, Flask and the wsgikit router side by side in one paste.ini (examples/anywsgi/paste.ini), each
mounted by ``egg:wsgikit#urlmap`` under its own prefix and loaded with ``egg:wsgikit#wsgi`` (the router
with ``egg:wsgikit#router``), served for real by waitress (``wsgikit serve``) and by gunicorn's own
PasteDeploy loader. Each framework must build its links from SCRIPT_NAME: Django's ``reverse()`` and
``{% static %}``, Flask's ``url_for()``, the router's ``url_for()``; Django's static files come from
``egg:wsgikit#static``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from wsgikit.deploy import loadapp

ROOT = Path(__file__).resolve().parents[2]
ANYWSGI_INI = ROOT / "examples" / "anywsgi" / "paste.ini"
CSS = (ROOT / "examples" / "anywsgi" / "djangosite" / "static" / "djangosite" / "site.css").read_bytes()

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=["in-process", "waitress", "gunicorn-paste"])
def client(request, start_server, port_factory, http_client, local_client):
    if request.param == "in-process":
        return local_client(loadapp(f"config:{ANYWSGI_INI}"))
    port = port_factory()
    if request.param == "waitress":
        argv = [sys.executable, "-m", "wsgikit", "serve", str(ANYWSGI_INI), "--port", str(port)]
    else:
        argv = [sys.executable, "-m", "gunicorn", "--paste", str(ANYWSGI_INI), "--workers", "2"]
        argv += ["--bind", f"127.0.0.1:{port}"]
    start_server(request.param, argv, port=port)
    return http_client(port)


def test_django_reverse_and_static_carry_the_prefix(client) -> None:
    document = client.get("/django/articles/2026/").json
    assert document == {
        "framework": "django",
        "year": 2026,
        "self": "/django/articles/2026/",
        "index": "/django/",
        "stylesheet": "/django/static/djangosite/site.css",
        "script_name": "/django",
    }
    page = client.get("/django/")
    assert '<a href="/django/articles/2026/">' in page.text
    assert '<link rel="stylesheet" href="/django/static/djangosite/site.css">' in page.text


def test_django_static_files_served_by_wsgikit_static(client) -> None:
    css = client.get(client.get("/django/articles/1999/").json["stylesheet"])
    assert (css.content_type, css.body) == ("text/css", CSS)
    assert "ETag" in css.headers
    client.get("/django/static/../settings.py", status=404)
    client.get("/django/static/djangosite/missing.css", status=404)


def test_django_answers_its_own_404(client) -> None:
    response = client.get("/django/no/such/page/", status=404)
    assert "Not Found" in response.text
    # APPEND_SLASH (CommonMiddleware) redirects under the prefix too
    assert (
        client.get("/django/articles/2026", status=301).headers["Location"].endswith("/django/articles/2026/")
    )


def test_flask_url_for_carries_the_prefix(client) -> None:
    document = client.get("/flask/hello/ada").json
    assert document["self"] == "/flask/hello/ada"
    assert document["external"].endswith("/flask/hello/ada")
    assert document["script_name"] == "/flask"
    client.get("/flask/nothing", status=404)


def test_wsgikit_router_url_for_carries_the_prefix(client) -> None:
    assert client.get("/kit/things/x%20y").json == {
        "framework": "wsgikit",
        "name": "x y",
        "self": "/kit/things/x%20y",
        "script_name": "/kit",
    }


def test_nothing_mounted_at_the_root(client) -> None:
    client.get("/", status=404)
