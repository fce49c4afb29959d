"""A Flask app served by ``egg:wsgikit#wsgi`` (``app = flaskapp:app``)."""

from __future__ import annotations

from flask import Flask, jsonify, request, url_for

app = Flask(__name__)


@app.get("/hello/<name>")
def hello(name: str):  # type: ignore[no-untyped-def]
    return jsonify(
        {
            "framework": "flask",
            "greeting": f"hello, {name}",
            "self": url_for("hello", name=name),
            "external": url_for("hello", name=name, _external=True),
            "script_name": request.script_root,
        }
    )
