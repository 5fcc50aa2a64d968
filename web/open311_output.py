"""Open311 answers as JSON or XML: the same data, the GeoReport v2 shapes.

JSON is written with Vietnamese text as is (no ``\\u`` escapes). XML follows the GeoReport v2
examples: a list is a plural element holding one singular element per item
(``<services><service>…</service></services>``, ``<service_requests><request>…``), a boolean is
``true``/``false``, and a field without a value is left out — in JSON too, so both carry exactly
the same content. Errors are GeoReport errors, ``[{"code": 404, "description": "…"}]`` or
``<errors><error><code>404</code><description>…</description></error></errors>``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any
from xml.etree import ElementTree as ET

from flask import Response

from engine.services.errors import listed

FORMATS = ("json", "xml")
MIMETYPES = {"json": "application/json", "xml": "text/xml"}

#: Characters XML 1.0 cannot carry at all; left out of XML text (JSON escapes them).
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

#: The element of each item of a list, by the list's element.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def render(data: Any, fmt: str, root: str, *, status: int = 200) -> Response:
    """``data`` (a list or a mapping, values already plain) as a response in ``fmt``.

    ``root`` names the XML document element (``services``, ``service_requests``, ``discovery``…).
    """
    data = _without_none(data)
    if fmt == "xml":
        body = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(
            element(root, data), encoding="unicode"
        )
    else:
        body = json.dumps(data, ensure_ascii=False)
    return Response(body.encode("utf-8"), status=status, mimetype=MIMETYPES[fmt])


def errors(status: int, descriptions: Sequence[str], fmt: str) -> Response:
    """A GeoReport error answer: one ``{code, description}`` per description, the first
    ``LISTED_MAX`` of them, then one that counts the rest."""
    shown, rest = listed(descriptions)
    texts = list(shown)
    if rest:
        texts.append(f"Và {rest} lỗi khác không được liệt kê.")
    body = [{"code": status, "description": text} for text in texts]
    return render(body, fmt, "errors", status=status)


def element(tag: str, value: Any) -> ET.Element:
    node = ET.Element(tag)
    if isinstance(value, Mapping):
        node.extend(element(key, item) for key, item in value.items())
    elif isinstance(value, list | tuple):
        child = ITEM_TAGS.get(tag, "item")
        node.extend(element(child, item) for item in value)
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    else:
        node.text = NOT_IN_XML.sub("", str(value))
    return node


def _without_none(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_without_none(v) for v in value]
    return value
