"""Request-body validation
=======================

Small, explicit checks that turn a decoded JSON body into clean values or raise ``400 Bad Request`` with a
message that says which field is wrong and why — the part of nova's JSON-schema validation a client sees.

.. code-block:: python

    fields = server_create({"server": {"name": "web-1", "flavorRef": "1"}}, version=(2, 1))
    assert fields["flavor_id"] == "1" and fields["image_id"] is None and fields["network"]
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from wsgikit import exc

__all__ = [
    "NETWORK_ID",
    "all_tenants",
    "fingerprint",
    "flavor_filter",
    "flavor_sort",
    "generate_keypair",
    "is_public",
    "keypair_create",
    "limit_schema",
    "metadata_body",
    "metadata_item_body",
    "name_pattern",
    "page_params",
    "reboot_type",
    "server_create",
    "server_query_schema",
    "server_update",
    "sort_keys_known",
    "sort_params",
    "timestamp",
]

NAME_MAX = 255
METADATA_ITEMS_MAX = 128
_KEY_TYPES = ("ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521")
_KEYPAIR_NAME = re.compile(r"^[A-Za-z0-9 _.@-]{1,255}$")


MAX_LIMIT = 1000
"""nova's ``[api] max_limit``: the most items one page of a list holds, whatever ``limit`` asks."""
_SCHEMA_DIGITS = re.compile(r"^[0-9]*$")  # nova's non_negative_integer pattern, searched as jsonschema does


def page_params(limit: str | None, marker: str | None) -> tuple[int, str | None]:
    """``?limit=&marker=`` of a list as nova's ``get_limit_and_marker`` reads them: the page size and the
    id the page starts after. ``limit`` is read by ``int()`` (so ``+5``, ``5_0`` and a number with spaces
    around it are numbers, and a 5,000-digit one is not) and must be >= 0, or it is a 400 in nova's words;
    it is at most :data:`MAX_LIMIT` (absent: that), and ``0`` is a page of nothing, as nova's database
    layer answers it."""
    size = MAX_LIMIT
    if limit is not None:
        try:
            number = int(limit)
        except ValueError:
            raise _bad("Invalid input received: limit must be an integer") from None
        if number < 0:
            raise _bad("Invalid input received: limit must be >= 0")
        size = min(number, MAX_LIMIT)
    return size, marker


def limit_schema(values: list[str]) -> None:
    """nova's query schema for a flavor list's ``?limit=`` (``non_negative_integer``): every value sent
    must be digits (an empty one is too short), or a 400 in nova's words naming the first that is not."""
    for value in values:
        if not _SCHEMA_DIGITS.search(value):
            raise _bad(
                f"Invalid input for query parameters limit. Value: {value}. "
                f"{value!r} does not match '^[0-9]*$'"
            )
        if not value:
            raise _bad("Invalid input for query parameters limit. Value: . '' should be non-empty")


# -- ?sort_key= / ?sort_dir= of GET /servers -----------------------------------------------------------------

# nova's schema: the sort keys a server list accepts (nova/api/openstack/compute/schemas/servers.py), in the
# order of its enum, which its 400 lists
_SORTED_BY = (
    "access_ip_v4", "access_ip_v6", "auto_disk_config", "availability_zone", "config_drive", "created_at",
    "display_description", "display_name", "host", "hostname", "image_ref", "instance_type_id",
    "kernel_id", "key_name", "launch_index", "launched_at", "locked_by", "node", "power_state",
    "progress", "project_id", "ramdisk_id", "root_device_name", "task_state", "terminated_at",
    "updated_at", "user_id", "uuid", "vm_state",
)  # fmt: skip
_IGNORED = (
    "architecture", "cell_name", "cleaned", "default_ephemeral_device", "default_swap_device", "deleted",
    "deleted_at", "disable_terminate", "ephemeral_gb", "ephemeral_key_uuid", "id", "key_data",
    "launched_on", "locked", "memory_mb", "os_type", "reservation_id", "root_gb", "shutdown_terminate",
    "user_data", "vcpus", "vm_mode",
)  # fmt: skip
SORT_KEYS = frozenset(_SORTED_BY)
IGNORED_SORT_KEYS = frozenset(_IGNORED)
"""Keys nova took before it validated them and still drops without a word, up to microversion 2.72 (the
example serves 2.1 to 2.19): ``locked`` becomes a real key at 2.73, and the others a 400 at 2.75."""
ADMIN_SORT_KEYS = frozenset(("host", "node"))
DEFAULT_SORT = (("created_at", True), ("id", True))


# the parameters of nova's server list schema whose values must compile as regular expressions (format
# "regex", where an empty value does not), in the schema's order: those before sort_key, and those after
# changes-since. nova checks them all, including those it then ignores for a non-administrator.
_REGEX_BEFORE_SORT = (
    "kernel_id", "ramdisk_id", "hostname", "key_name", "power_state", "node", "flavor", "reservation_id",
    "launched_at", "terminated_at", "availability_zone", "name", "display_name", "description",
    "display_description", "locked_by", "root_device_name", "config_drive", "access_ip_v4", "access_ip_v6",
    "auto_disk_config", "progress",
)  # fmt: skip
_REGEX_AFTER_CHANGES = ("ip", "ip6", "created_at")


def server_query_schema(getall: Callable[[str], list[str]]) -> None:
    """nova's query schema of a server list (up to microversion 2.74), checked in its order over every value
    sent (``getall``: the query's values of one name): the regular-expression parameters, the sort keys
    (:func:`sort_keys_known`), ``changes-since`` (an ISO 8601 time), then ``ip``, ``ip6`` and
    ``created_at``. The first value that fails is a 400 in nova's words."""
    for field in _REGEX_BEFORE_SORT:
        _regex_format(field, getall(field))
    sort_keys_known(getall("sort_key"))
    for value in getall("changes-since"):
        timestamp(value, "changes-since")
    for field in _REGEX_AFTER_CHANGES:
        _regex_format(field, getall(field))


def _compiled(value: str) -> re.Pattern[str] | None:
    """``value`` compiled, or None when it does not compile: ``re.error``, and also the errors a client's
    pattern can raise beyond it (``a{4294967296}``: OverflowError; 5,000 nested groups: RecursionError),
    which nova's own check lets through as a 500."""
    try:
        return re.compile(value)
    except (re.error, OverflowError, RecursionError):
        return None


def _regex_format(field: str, values: list[str]) -> None:
    for value in values:
        if not value or _compiled(value) is None:
            raise _bad(
                f"Invalid input for query parameters {field}. Value: {value}. {value!r} is not a 'regex'"
            )


def sort_keys_known(keys: list[str]) -> None:
    """nova's query schema: every ``?sort_key=`` must be one it lists (those it sorts by and those it
    ignores), exactly as sent (``%20display_name`` is not ``display_name``), or the request is a 400 in the
    words of nova's schema validation (:func:`server_query_schema` says what it checks before)."""
    for key in keys:
        if key not in SORT_KEYS and key not in IGNORED_SORT_KEYS:
            raise _not_one_of("sort_key", key, (*_SORTED_BY, *_IGNORED))


def sort_params(keys: list[str], dirs: list[str], *, admin: bool) -> tuple[tuple[str, bool], ...]:
    """``?sort_key=`` and ``?sort_dir=`` (each may repeat) as ``((key, descending), ...)``, worked out the
    way nova works them out, quirks included: no key means ``created_at``, no direction means ``desc``
    (for every key given); ``created_at`` and ``id`` (the insertion order) end every order, in the first
    direction given; an ignored key is dropped with the direction at its position, and when that leaves no
    key at all the order is oldest first. A key nova does not know is a 400 (:func:`sort_keys_known`);
    ``host`` and ``node`` are for administrators (403, naming the first one given); then a direction other
    than ``asc``/``desc``, or more directions than keys, is a 400."""
    sort_keys_known(keys)
    keys = [key.strip() for key in keys] or ["created_at"]
    dirs = [direction.strip() for direction in dirs] or ["desc"]
    for key in list(keys):  # nova's remove_invalid_sort_keys: one pass, in the order given
        if key in IGNORED_SORT_KEYS:
            index = keys.index(key)
            if len(dirs) > index:
                dirs.pop(index)
            keys.pop(index)
        elif key in ADMIN_SORT_KEYS and not admin:
            raise exc.HTTPForbidden(detail=f"Only administrators can sort servers by {key}")
    first = dirs[0] if dirs else "asc"
    for direction in dirs:
        if direction not in ("asc", "desc"):
            raise _bad("Invalid input received: Unknown sort direction, must be 'desc' or 'asc'")
    if len(dirs) > len(keys):
        raise _bad("Invalid input received: Sort direction size exceeds sort key size")
    dirs += [first] * (len(keys) - len(dirs))
    order = list(zip(keys, dirs, strict=True))
    order += [(key, first) for key in ("created_at", "id") if key not in keys]
    return tuple((key, direction == "desc") for key, direction in order)


_FLAVOR_SORT_KEYS = (
    "created_at", "description", "disabled", "ephemeral_gb", "flavorid", "id", "is_public", "memory_mb",
    "name", "root_gb", "rxtx_factor", "swap", "updated_at", "vcpu_weight", "vcpus",
)  # fmt: skip
FLAVOR_SORT_KEYS = frozenset(_FLAVOR_SORT_KEYS)
"""nova's schema: the sort keys a flavor list accepts."""
_SORT_DIRS = ("asc", "desc")


def flavor_sort(keys: list[str], directions: list[str]) -> tuple[str, bool]:
    """``?sort_key=`` and ``?sort_dir=`` of a flavor list (each may repeat) as ``(key, descending)``, as
    nova reads them: its schema first, where every value must be one it lists, exactly as sent (an empty
    one too), or it is a 400 naming the first that is not (keys before directions); then the last value of
    each, which is what nova's ``req.params.get`` gives it: ``flavorid`` and ``asc`` when absent."""
    for key in keys:
        if key not in FLAVOR_SORT_KEYS:
            raise _not_one_of("sort_key", key, _FLAVOR_SORT_KEYS)
    for direction in directions:
        if direction not in _SORT_DIRS:
            raise _not_one_of("sort_dir", direction, _SORT_DIRS)
    return (keys[-1] if keys else "flavorid"), (directions[-1] if directions else "asc") == "desc"


# oslo.utils strutils.bool_from_string(strict=True): the spellings nova takes for all_tenants and is_public
_TRUE = frozenset(("1", "t", "true", "on", "y", "yes"))
_FALSE = frozenset(("0", "f", "false", "off", "n", "no"))


def _oslo_bool(value: str) -> bool | None:
    """``value`` as oslo's strict ``bool_from_string`` reads it (spaces around it and case ignored), or
    None when it is none of its spellings (where oslo raises, and each caller words its own 400)."""
    folded = value.strip().lower()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    return None


def all_tenants(present: bool, value: str | None) -> bool:
    """``?all_tenants`` as nova reads it: present and empty means yes; otherwise one of oslo's boolean
    spellings, in any case (``True``, ``yes``, ``0`` ...), and anything else is a 400."""
    if not value:
        return present
    answer = _oslo_bool(value)
    if answer is not None:
        return answer
    acceptable = ", ".join(repr(word) for word in sorted(_TRUE | _FALSE))
    raise _bad(f"Invalid input received: Unrecognized value {value!r}, acceptable values are: {acceptable}")


# a quantifier: * + ? or {m,n}, not escaped, and not the ? of a group's (?...; a lazy *? counts once
_QUANTIFIER = re.compile(r"(?<![\\(*+?}])[*+?{]")
_REPEATED_GROUP = re.compile(r"\)[*+?{]")
NAME_PATTERN_MAX = 128


def name_pattern(value: str, field: str = "name") -> re.Pattern[str]:
    """``?name=`` (or ``?ip=``, ``field``): a regular expression searched in server names (addresses), as
    nova's filters are, within a bound on its cost, since it comes from the client: at most 128
    characters, at most two quantifiers, no repeated group and no back-reference (the shapes that make a
    search backtrack for minutes on a 255-character name: ``(a+)+``, ``a?a?a?...aaa``, ``.*.*.*x``).
    Anything else, or a pattern that does not compile, is a 400."""
    if (
        len(value) > NAME_PATTERN_MAX
        or len(_QUANTIFIER.findall(value)) > 2
        or _REPEATED_GROUP.search(value)
        or re.search(r"\\[1-9]", value)
    ):
        raise _bad(
            f"Invalid input for query parameters {field}: at most 128 characters and two quantifiers, no "
            "repeated group and no back-reference"
        )
    pattern = _compiled(value)
    if pattern is None:
        raise _bad(f"Invalid input for query parameters {field}. Value: {value}. {value!r} is not a 'regex'")
    return pattern


def flavor_filter(value: str | None, field: str) -> int | None:
    """``?minRam=`` / ``?minDisk=`` of a flavor list as nova reads them: ``int()`` of the value (any
    integer, a negative one too, which every flavor passes), or a 400 in nova's words."""
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise _bad(f"Invalid {field} filter [{value}]") from None


def is_public(value: str | None) -> bool | None:
    """``?is_public=`` of a flavor list, which nova hears from administrators only: absent means the
    public flavors, ``none`` (any case) every flavor, one of oslo's boolean spellings the public or the
    private ones, and anything else is a 400 in nova's words."""
    if value is None:
        return True
    if value.lower() == "none":
        return None
    answer = _oslo_bool(value)
    if answer is None:
        raise _bad(f"Invalid is_public filter [{value}]")
    return answer


def timestamp(value: str | None, field: str) -> datetime | None:
    """An optional ISO 8601 time (``changes-since``), in UTC when it names no zone, as nova reads it."""
    if value is None:
        return None
    moment = _time(value)
    if moment is None:
        raise _bad(
            f"Invalid input for query parameters {field}. Value: {value}. {value!r} is not a 'date-time'"
        )
    return moment


def _time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _bad(message: str) -> exc.HTTPBadRequest:
    return exc.HTTPBadRequest(detail=message)


def _not_one_of(field: str, value: str, enum: tuple[str, ...]) -> exc.HTTPBadRequest:
    """nova's 400 for a query value outside its schema's enum (jsonschema's message inside nova's)."""
    return _bad(
        f"Invalid input for query parameters {field}. Value: {value}. {value!r} is not one of {list(enum)!r}"
    )


def _envelope(body: Any, key: str) -> dict[str, Any]:
    if not isinstance(body, dict) or key not in body:
        raise _bad(f"the request body must be a JSON object with a {key!r} member")
    inner = body[key]
    if not isinstance(inner, dict):
        raise _bad(f"{key!r} must be a JSON object")
    return inner


def _string(inner: dict[str, Any], field: str, *, required: bool, max_length: int = NAME_MAX) -> str | None:
    if field not in inner or inner[field] is None:
        if required:
            raise _bad(f"{field!r} is required")
        return None
    value = inner[field]
    if not isinstance(value, str):
        raise _bad(f"{field!r} must be a string, not {type(value).__name__}")
    if required and not value.strip():
        raise _bad(f"{field!r} must not be empty")
    if len(value) > max_length:
        raise _bad(f"{field!r} is longer than {max_length} characters")
    if any(ord(c) < 32 for c in value):
        raise _bad(f"{field!r} must not contain control characters")
    return value


def _only(inner: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(inner) - allowed)
    if unknown:
        raise _bad(f"unknown field(s) in {where!r}: {', '.join(unknown)}")


def _metadata(value: Any, where: str = "metadata") -> dict[str, str]:
    if not isinstance(value, dict):
        raise _bad(f"{where!r} must be a JSON object of strings")
    if len(value) > METADATA_ITEMS_MAX:
        raise _bad(f"{where!r} has more than {METADATA_ITEMS_MAX} items")
    for key, item in value.items():
        if not isinstance(item, str):
            raise _bad(f"{where!r} value for {key!r} must be a string")
        if not key or len(key) > NAME_MAX or len(item) > NAME_MAX:
            raise _bad(f"{where!r} keys must be 1-{NAME_MAX} characters and values at most {NAME_MAX}")
    return dict(value)


def _count(inner: dict[str, Any], field: str) -> None:
    """``min_count`` / ``max_count``: nova accepts integers and numeric strings; this service boots one."""
    if field not in inner:
        return
    value = inner[field]
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _bad(f"{field!r} must be a positive integer")
    if value != 1:
        raise _bad(f"{field!r} must be 1: this service creates one server per request")


def _ref(value: Any, field: str) -> str:
    """An id or a URL ending in the id (nova accepts both for ``imageRef`` and ``flavorRef``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise _bad(f"{field!r} must be an id (string or integer) or a URL")
    if any(ord(c) < 32 for c in value) or len(value) > 1024:
        raise _bad(f"{field!r} is not a valid reference")
    return value.strip().rstrip("/").rsplit("/", 1)[-1]


def _networks(value: Any) -> bool:
    """``networks``: whether to give the server an address on the example's one network.

    ``"auto"``, a missing member or ``[]`` (what the clients send when given no ``--nic``) allocate one;
    ``"none"`` allocates none; a list may name only the example's network.
    """
    if value == "auto" or value == []:
        return True
    if value == "none":
        return False
    if not isinstance(value, list):
        raise _bad("'networks' must be 'auto', 'none' or a list of networks")
    if len(value) != 1 or not isinstance(value[0], dict):
        raise _bad("'networks': this service has one network; give it once, as {'uuid': ...}, or 'auto'")
    (entry,) = value
    unsupported = sorted(set(entry) - {"uuid"})
    if unsupported:
        raise _bad(f"'networks': {', '.join(unsupported)} not supported (no network API); use 'uuid'")
    if entry.get("uuid") != NETWORK_ID:
        raise _bad(f"'networks': network {entry.get('uuid')!r} not found; the only one is {NETWORK_ID}")
    return True


def _boot_image(mappings: Any, image_ref: str | None) -> str | None:
    """``block_device_mapping_v2``: only the image as the local root disk (what ``--image`` sends)."""
    if not isinstance(mappings, list):
        raise _bad("'block_device_mapping_v2' must be a list")
    for mapping in mappings:
        if not isinstance(mapping, dict):
            raise _bad("'block_device_mapping_v2' entries must be objects")
        source, destination = mapping.get("source_type"), mapping.get("destination_type", "local")
        if source != "image" or destination != "local" or mapping.get("boot_index") not in (0, "0"):
            raise _bad(
                "'block_device_mapping_v2': only the boot image as the local disk is supported "
                f"(got source_type={source!r}, destination_type={destination!r}); this service has no volumes"
            )
        uuid = _ref(mapping.get("uuid"), "block_device_mapping_v2 uuid")
        if image_ref is not None and uuid != image_ref:
            raise _bad("'block_device_mapping_v2': the boot image differs from 'imageRef'")
        image_ref = uuid
    return image_ref


NETWORK_ID = "5b7f5a2e-3c9e-4d8a-9a51-6c1f0e2d4b03"
"""The id of the example's one network (``private``, 10.0.0.0/24)."""

_SERVER_CREATE = {
    "name", "flavorRef", "imageRef", "metadata", "key_name", "networks", "min_count", "max_count",
    "block_device_mapping_v2", "availability_zone", "security_groups", "config_drive",
}  # fmt: skip


def server_create(body: Any, *, version: tuple[int, int]) -> dict[str, Any]:
    """``{"server": {"name", "flavorRef", "imageRef", ...}}`` as nova's clients send it.

    Without ``imageRef`` the server has no image (shown as ``"image": ""``, as nova shows a server booted
    from a volume); nova itself would then need a boot volume. Also accepted, as far as this service can
    honour them: ``min_count``/``max_count`` = 1, ``networks``
    (``auto``, ``none``, ``[]`` or the one network), ``block_device_mapping_v2`` naming the image as local
    disk, ``availability_zone`` ``nova``, ``security_groups`` ``default``, ``config_drive`` false,
    ``description`` from 2.19 (as in nova). Anything else is a 400 naming it.
    """
    inner = _envelope(body, "server")
    allowed = set(_SERVER_CREATE)
    if version >= (2, 19):
        allowed.add("description")
    _only(inner, allowed, "server")
    name = _string(inner, "name", required=True)
    flavor = inner.get("flavorRef")
    if flavor is None:
        raise _bad("'flavorRef' is required and must be a flavor id (string or integer)")
    for field in ("min_count", "max_count"):
        _count(inner, field)
    image = _ref(inner["imageRef"], "imageRef") if inner.get("imageRef") not in (None, "") else None
    if "block_device_mapping_v2" in inner:
        image = _boot_image(inner["block_device_mapping_v2"], image)
    zone = _string(inner, "availability_zone", required=False)
    if zone not in (None, "nova"):
        raise _bad(f"'availability_zone': {zone!r} not found; the only zone is 'nova'")
    groups = inner.get("security_groups", [{"name": "default"}])
    if not isinstance(groups, list) or any(group != {"name": "default"} for group in groups):
        raise _bad("'security_groups': only [{'name': 'default'}] is supported")
    if inner.get("config_drive") not in (None, False, "", "false", "False"):
        raise _bad("'config_drive' is not supported by this service")
    fields: dict[str, Any] = {
        "name": name,
        "flavor_id": _ref(flavor, "flavorRef"),
        "image_id": image,
        "metadata": _metadata(inner.get("metadata", {})),
        "key_name": _string(inner, "key_name", required=False),
        "network": _networks(inner.get("networks", "auto")),
    }
    if "description" in inner:
        fields["description"] = _string(inner, "description", required=False)
    return fields


def server_update(body: Any, *, version: tuple[int, int]) -> dict[str, Any]:
    """``{"server": {"name"?, "description"? (2.19+)}}`` with at least one of them."""
    inner = _envelope(body, "server")
    allowed = {"name", "description"} if version >= (2, 19) else {"name"}
    _only(inner, allowed, "server")
    if not inner:
        raise _bad(f"nothing to update: give {' or '.join(repr(f) for f in sorted(allowed))}")
    fields: dict[str, Any] = {}
    if "name" in inner:
        fields["name"] = _string(inner, "name", required=True)
    if "description" in inner:
        fields["description"] = _string(inner, "description", required=False)
    return fields


def reboot_type(inner: Any) -> str:
    """The body of a ``reboot`` action: ``{"type": "SOFT" | "HARD"}``."""
    if not isinstance(inner, dict):
        raise _bad("'reboot' must be a JSON object")
    value = inner.get("type")
    if not isinstance(value, str) or value.upper() not in ("SOFT", "HARD"):
        raise _bad("'reboot' needs a 'type' of 'SOFT' or 'HARD'")
    return value.upper()


def metadata_body(body: Any) -> dict[str, str]:
    """``{"metadata": {key: value, ...}}``."""
    if not isinstance(body, dict) or "metadata" not in body:
        raise _bad("the request body must be a JSON object with a 'metadata' member")
    return _metadata(body["metadata"])


def metadata_item_body(body: Any, key: str) -> str:
    """``{"meta": {key: value}}`` whose single key matches the URL's."""
    if not isinstance(body, dict) or "meta" not in body:
        raise _bad("the request body must be a JSON object with a 'meta' member")
    meta = _metadata(body["meta"], "meta")
    if len(meta) != 1:
        raise _bad("'meta' must have exactly one item")
    if key not in meta:
        raise _bad("the key in 'meta' must match the key in the URL")
    return meta[key]


def fingerprint(public_key: str) -> str:
    """The MD5 fingerprint of an OpenSSH public key (``aa:bb:...``), or 400 if the key is malformed."""
    parts = public_key.strip().split()
    if len(parts) < 2 or parts[0] not in _KEY_TYPES:
        raise _bad(f"'public_key' must be an OpenSSH public key ({', '.join(_KEY_TYPES)})")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise _bad("'public_key' is not valid base64") from None
    if not blob:
        raise _bad("'public_key' is empty")
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def keypair_create(body: Any, *, version: tuple[int, int]) -> dict[str, str | None]:
    """``{"keypair": {"name", "public_key"?, "type"? (2.2+)}}``.

    Without ``public_key`` the service generates the key pair (``public_key`` is then ``None`` here). A
    given key is stripped of surrounding whitespace (``ssh-keygen`` ends its ``.pub`` files with a newline).
    """
    inner = _envelope(body, "keypair")
    allowed = {"name", "public_key", "type"} if version >= (2, 2) else {"name", "public_key"}
    _only(inner, allowed, "keypair")
    name = _string(inner, "name", required=True)
    assert name is not None
    if not _KEYPAIR_NAME.match(name):
        raise _bad("'name' may contain only letters, digits, spaces and '_.@-'")
    key_type = _string(inner, "type", required=False) or "ssh"
    if key_type not in ("ssh", "x509"):
        raise _bad("'type' must be 'ssh' or 'x509'")
    raw = inner.get("public_key")
    if raw is None:
        if key_type != "ssh":
            raise _bad("this service generates only 'ssh' key pairs; give the x509 'public_key'")
        return {"name": name, "public_key": None, "type": key_type, "fingerprint": None}
    if not isinstance(raw, str):
        raise _bad("'public_key' must be a string")
    public_key = _string({"public_key": raw.strip()}, "public_key", required=True, max_length=16384)
    assert public_key is not None
    return {"name": name, "public_key": public_key, "type": key_type, "fingerprint": fingerprint(public_key)}


def generate_keypair() -> tuple[str, str]:
    """A new RSA 2048 key pair, as nova makes one: ``(openssh_public_key, pem_private_key)``.

    The key is made by the ``cryptography`` library; the private key is returned once and never stored.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_key = private.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return public_key.decode("ascii"), private_pem.decode("ascii")
