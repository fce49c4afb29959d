"""Sphinx extension: render the option tables of ``wsgikit.deploy.components.*``.

``.. wsgikit-option-tables::`` renders one section per component module, with a table (option, default,
description) for every :class:`~wsgikit.options.OptionTable` the module declares, and the entry-point
names that use it. The tables are read from the code at build time, so the reference cannot drift from it.
``.. wsgikit-option-table:: gzip`` renders the table(s) of one module, for use in a feature page.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import pkgutil
import re
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

GROUPS = {
    "paste.filter_factory": "filter",
    "paste.app_factory": "app",
    "paste.composite_factory": "composite",
    "paste.server_runner": "server",
}


def _tables(module: Any) -> list[tuple[str, Any]]:
    from wsgikit.options import OptionTable

    seen: set[int] = set()
    found = []
    for name, value in vars(module).items():
        if isinstance(value, OptionTable) and id(value) not in seen:
            seen.add(id(value))
            found.append((name, value))
    return found


def _entry_points(module_name: str) -> list[tuple[str, str, str]]:
    """``(kind, name, function)`` of every wsgikit entry point implemented in ``module_name``."""
    result = []
    for entry in importlib.metadata.distribution("wsgikit").entry_points:
        if entry.group in GROUPS and entry.value.split(":")[0] == module_name:
            result.append((GROUPS[entry.group], entry.name, entry.value.split(":")[1]))
    return sorted(result)


def _default(option: Any) -> str:
    from wsgikit.options import REQUIRED

    if option.default is REQUIRED:
        return "*required*"
    value = option.default
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "``" + ", ".join(str(item) for item in value) + "``" if value else "(empty)"
    if type(value).__repr__ is not object.__repr__ and not isinstance(value, str | int | float):
        return f"``{value}``"
    return f"``{value}``"


def _converter(option: Any) -> str:
    name = getattr(option.convert, "__name__", "")
    return {
        "to_bool": "boolean",
        "to_int": "integer",
        "integer": "integer",
        "to_size": "size",
        "to_duration": "duration",
        "to_list": "list",
        "to_regex": "regex",
        "to_path": "path",
        "to_callable": "module:callable",
        "to_callables": "module:callable list",
        "to_networks": "networks",
        "to_log_level": "log level",
        "to_str": "string",
    }.get(name, name.replace("to_", "").replace("_", " ") or "string")


def _escape(text: str) -> str:
    """Plain text → reST that renders as the same text."""
    for char in ("\\", "*", "`", "|"):
        text = text.replace(char, "\\" + char)
    return re.sub(r"(\w)_(\W|$)", r"\1\\_\2", text)


def render_module(module_name: str) -> list[str]:
    """reST lines for one component module."""
    module = importlib.import_module(module_name)
    short = module_name.rsplit(".", 1)[1]
    lines: list[str] = []
    entries = _entry_points(module_name)
    names = ", ".join(f"``egg:wsgikit#{name}`` ({kind})" for kind, name, _ in entries) or "(no entry point)"
    lines += [f"Entry points: {names}.", ""]
    for variable, table in _tables(module):
        if len(_tables(module)) > 1:
            lines += [f"**{table.component}** (``{short}.{variable}``)", ""]
        if table.accept_extra is not None:
            doc = (table.accept_extra.__doc__ or "").strip().splitlines()
            extra = doc[0] if doc else "other keys are passed to the component as they are"
            lines += [f"Also accepts: {extra}", ""]  # a docstring: already reST
        if not table.options:
            lines += ["No options.", ""]
            continue
        lines += [
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 22 14 20 44",
            "",
            "   * - option",
            "     - type",
            "     - default",
            "     - description",
        ]
        for option in table.options:
            lines += [
                f"   * - ``{option.name}``",
                f"     - {_converter(option)}",
                f"     - {_default(option)}",
                f"     - {_escape(option.help) or '-'}",
            ]
        lines.append("")
        if table.exclusive:
            pairs = "; ".join(f"``{first}`` and ``{second}``" for first, second, _ in table.exclusive)
            lines += [f"Not together: {pairs}.", ""]
    return lines


def component_modules() -> list[str]:
    import wsgikit.deploy.components as package

    return sorted(
        f"{package.__name__}.{info.name}"
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_")
    )


class _Base(SphinxDirective):
    def render(self, lines: list[str]) -> list[nodes.Node]:
        holder = nodes.section()
        holder.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source="wsgikit-option-tables"), holder)
        return list(holder.children)


class OptionTablesDirective(_Base):
    """Every component module, one subsection each."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        lines: list[str] = []
        for module_name in component_modules():
            title = module_name.rsplit(".", 1)[1]
            lines += [title, "-" * len(title), ""]
            lines += render_module(module_name)
        return self.render(lines)


class OptionTableDirective(_Base):
    """The tables of one module: ``.. wsgikit-option-table:: gzip``."""

    required_arguments = 1
    option_spec = {"module": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        return self.render(render_module(f"wsgikit.deploy.components.{self.arguments[0]}"))


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("wsgikit-option-tables", OptionTablesDirective)
    app.add_directive("wsgikit-option-table", OptionTableDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
