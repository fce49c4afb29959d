"""Shared fixtures for the routing tests: the nova route table, built the way nova builds it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wsgikit.routing import Mapper

DATA = Path(__file__).resolve().parent.parent / "data"
PROJECT_TOKEN = "{project_id:[0-9a-f-]+}"


class NovaMapper(Mapper):
    """nova's APIMapper + ProjectMapper: a ``json|xml`` format requirement on every route and every route
    doubled under ``/{project_id}`` (the project route first)."""

    def connect(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("requirements", {})
        if not kwargs["requirements"].get("format"):
            kwargs["requirements"]["format"] = "json|xml"
        super().connect(*args, **kwargs)

    def create_route(self, path: str, method: str, controller: str, action: str) -> None:
        for routepath in ("/" + PROJECT_TOKEN + path, path):
            self.connect(routepath, conditions=dict(method=[method]), controller=controller, action=action)


def load_json(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def build_nova_mapper(mapper_class: type[Mapper] = NovaMapper) -> Mapper:
    table = load_json("nova_routes.json")
    mapper = mapper_class()
    for entry in table["route_list"]:
        if "redirect" in entry:
            mapper.redirect(entry["path"], entry["redirect"])
            continue
        for method, target in entry["methods"].items():
            mapper.create_route(entry["path"], method, target["controller"], target["action"])
    return mapper


@pytest.fixture(scope="session")
def nova_table() -> dict[str, Any]:
    return load_json("nova_routes.json")  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def nova_samples() -> list[dict[str, Any]]:
    return load_json("nova_samples.json")["samples"]  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def nova_mapper() -> Mapper:
    return build_nova_mapper()


@pytest.fixture(scope="session")
def make_nova_mapper() -> Callable[[], Mapper]:
    return build_nova_mapper
