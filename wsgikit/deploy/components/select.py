"""``egg:wsgikit#select``: build one of several pipelines, chosen by a configuration value.

The pattern nova, cinder and glance each hand-write as ``pipeline_factory``: ``key`` (usually
``%(auth_strategy)s`` from ``[DEFAULT]`` or ``${ENV:...}``) names one of the other keys of the section, whose
value is a pipeline — filters outermost first, the application last.

.. code-block:: ini

    [composite:api]
    use = egg:wsgikit#select
    key = %(auth_strategy)s
    keystone = request_id errors token_auth api_app
    noauth = request_id errors noauth api_app

Not :func:`~wsgikit.deploy.factory.app_factory_for`: a ``paste.composite_factory`` is called with
the loader, to load the pipeline it chooses; there is no class behind it, so its table is declared here.
"""

from __future__ import annotations

import difflib
from typing import Any

from wsgikit.deploy.factory import declares
from wsgikit.deploy.loader import annotate, load_app, load_filter
from wsgikit.deploy.options import REQUIRED, ConfigError, Option, OptionTable, to_str


def is_choice(key: str) -> bool:
    """one key per choice, whose value is a pipeline: filters outermost first, the application last."""
    return key != "key"


OPTIONS = OptionTable(
    "select",
    Option("key", to_str, REQUIRED, "the choice to build: the name of another key of this section"),
    accept_extra=is_choice,
)


def choose(local_conf: dict[str, Any]) -> tuple[str, list[str]]:
    """``(choice, pipeline items)`` for a ``select`` section's keys.

    :raises ConfigError: when the choice is not one of the section's keys, or its pipeline is empty.
    """
    choice = str(local_conf.get("key", "")).strip()
    choices = _choices(local_conf)
    if choice not in choices:
        close = difflib.get_close_matches(choice, choices, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        valid = ", ".join(choices) or "(none: add one key per choice)"
        raise ConfigError(f"unknown choice {choice!r}{hint} (valid choices: {valid})", key="key")
    items = str(local_conf[choice]).split()
    if not items:
        raise ConfigError("the pipeline is empty", key=choice)
    return choice, items


def references(local_conf: dict[str, Any]) -> list[tuple[str, str, str]]:
    """``(key, kind, name)`` of every section any choice would load: all choices are checked, not just
    the one selected today (for ``wsgikit check``)."""
    refs: list[tuple[str, str, str]] = []
    for choice in _choices(local_conf):
        items = str(local_conf[choice]).split()
        refs += [(choice, "filter", name) for name in items[:-1]]
        refs += [(choice, "app", name) for name in items[-1:]]
    return refs


def check_section(local_conf: dict[str, Any]) -> list[ConfigError]:
    """An unknown choice, or an empty pipeline (for ``wsgikit check``)."""
    errors = []
    if "key" in local_conf:
        try:
            choose(local_conf)
        except ConfigError as error:
            errors.append(error)
    for choice in _choices(local_conf):
        if not str(local_conf[choice]).split() and not any(e.key == choice for e in errors):
            errors.append(ConfigError("the pipeline is empty", key=choice))
    return errors


def _choices(local_conf: dict[str, Any]) -> list[str]:
    return sorted(key for key in local_conf if key not in ("key", "use", "__file__", "here"))


@declares(OPTIONS)
def composite_factory(loader: Any, global_conf: dict[str, Any], **local_conf: str) -> Any:
    options = OPTIONS.convert(local_conf, global_conf)
    choice, items = choose(options)
    annotate(loader, f"key = {choice}")
    filters = [load_filter(loader, name, global_conf, key=choice) for name in items[:-1]]
    app = load_app(loader, items[-1], global_conf, key=choice, label=False)
    for filter_ in reversed(filters):
        app = filter_(app)
    return app
