"""Where wsgikit reads another library's private attributes
=========================================================

wsgikit uses WebOb, PasteDeploy, Routes, waitress and gunicorn through their public APIs. This module is
the one exception, kept small and in one place: each function answers a question the library has no
public API for, says why, and is the only code that would change when the library does.
"""

from __future__ import annotations

__all__ = ["waitress_setting_names"]


def waitress_setting_names() -> frozenset[str]:
    """The adjustments ``waitress.create_server(**kw)`` accepts (imports waitress).

    waitress validates names only by raising ``ValueError("Unknown adjustment ...")`` from
    ``Adjustments(**kw)``, which also converts — and so needs — every value; the list of names itself is
    the class's ``_params`` table (``_param_map`` is the dict of it). wsgikit needs the names alone, to
    reject an unknown ``[server:main]`` key at check time with a "did you mean".

    A waitress without the table (it is private, so a release may drop it) still gets its keys checked:
    each adjustment is also a public class attribute holding its default, so the names are those
    attributes that are not methods. That reads one name more than the table (``socket_options``,
    derived from others), which waitress itself then refuses when the server starts.
    """
    from waitress.adjustments import Adjustments

    params: tuple[tuple[str, object], ...] | None = getattr(Adjustments, "_params", None)
    if params is not None:
        return frozenset(name for name, _ in params)
    public = (name for name in dir(Adjustments) if not name.startswith("_"))
    return frozenset(name for name in public if not callable(getattr(Adjustments, name)))
