"""API Gateway (REST API) mapping templates, rendered offline on top of airspeed.

moto stores API Gateway integrations but never runs their templates, so tests and the offline emulator render
them here. What is modelled, after the AWS reference
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html):

- ``$input.body`` (the raw payload), ``$input.json(path)`` (JSON text of the selection), ``$input.path(path)``
  (the selection as an object: maps, lists, strings, numbers), ``$input.params()`` (a map with ``path``,
  ``querystring`` and ``header`` maps) and ``$input.params(name)`` (path, then query string, then header, in
  that order; names match exactly). An empty payload reads as ``{}``.
- JSONPath: ``$``, ``$.a.b``, ``$.a[0]``, ``$['a']`` and ``$["a"]``. Anything else (wildcards, ``..``,
  filters, slices) raises :class:`VtlError` rather than silently selecting nothing. A missing member is null.
- ``$util.escapeJavaScript`` as Apache Commons Lang 2 ``StringEscapeUtils.escapeJavaScript`` writes it: ``"``,
  ``\\``, ``/`` and ``'`` get a backslash (``\\'`` is not valid JSON: templates follow AWS's documented fix,
  ``.replaceAll("\\\\'","'")``), control characters become ``\\b \\t \\n \\f \\r`` or ``\\u00XX``, and every
  character above U+007F becomes ``\\uXXXX`` (UTF-16 units, so an emoji is a surrogate pair). Pass
  ``escape_non_ascii=False`` to render as an implementation that leaves non-ASCII characters as they are: a
  template that is right under both is right whatever API Gateway's build does.
- ``$util.parseJson``, ``$util.urlEncode``/``urlDecode`` (``application/x-www-form-urlencoded`` as Java's
  URLEncoder: space is ``+``, ``*`` stays, ``~`` is escaped), ``$util.base64Encode``/``base64Decode`` (UTF-8).
- ``$context``: whatever the caller passes, over defaults for ``requestId``, ``requestTimeEpoch`` (milliseconds),
  ``identity.sourceIp`` and ``authorizer.claims``. ``#set($context.responseOverride.status = 502)`` and
  ``#set($context.responseOverride.header.Name = "value")`` come back in :attr:`RenderResult.response_override`.
- ``$stageVariables``.
- The Java ``String`` and ``Map`` methods templates commonly call and airspeed lacks (``equalsIgnoreCase``,
  ``toLowerCase``, ``trim``, ``isEmpty``, ``containsKey``, ``codePointCount``, ...), added to airspeed's own
  extension table; two of airspeed's own are replaced by Java's: ``length()`` counts UTF-16 units (an emoji is
  2) and ``matches(regex)`` is a whole-string match that refuses Python-only regex syntax as Java's
  PatternSyntaxException would.

Not modelled: ``$context.requestOverride``, ``$method``/``$integration`` variables, and the Velocity 1.7 quirk that
``#set`` to null keeps the old value (airspeed sets null); write templates so that neither matters.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus, unquote_plus

import airspeed
from airspeed import operators as _airspeed_operators

__all__ = ["RenderResult", "VtlError", "escape_javascript", "jsonpath", "render"]


class VtlError(ValueError):
    """A template could not be rendered: bad syntax, an unsupported JSONPath, or a payload that is not JSON."""


@dataclass(frozen=True)
class RenderResult:
    """What a mapping template produced: the body text, and any ``$context.responseOverride`` it set
    (``{"status": 502}``, ``{"header": {"Retry-After": "5"}}``; empty when it set none)."""

    output: str
    response_override: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------- JSONPath subset

_STEP = re.compile(r"""\.(?P<name>[^.\[\]]+)|\[(?:'(?P<single>[^']*)'|"(?P<double>[^"]*)"|(?P<index>-?\d+))\]""")


def jsonpath(document: Any, path: str) -> Any:
    """The value ``path`` selects in ``document``; None when a member or index is missing."""
    if not isinstance(path, str) or not path.startswith("$"):
        raise VtlError(f"JSONPath {path!r} must start with '$'")
    node = document
    position = 1
    while position < len(path):
        step = _STEP.match(path, position)
        if step is None or step["name"] == "*":
            raise VtlError(f"JSONPath {path!r}: {path[position:]!r} is not supported; use $, $.a.b, $.a[0] or $['a']")
        position = step.end()
        if step["index"] is not None:
            if not isinstance(node, list):
                return None
            try:
                node = node[int(step["index"])]
            except IndexError:
                return None
        else:
            key = (
                step["name"]
                if step["name"] is not None
                else (step["single"] if step["single"] is not None else step["double"])
            )
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
    return node


# ------------------------------------------------------------------------------------------------------- $util

_SHORT_ESCAPES = {
    '"': '\\"',
    "'": "\\'",
    "\\": "\\\\",
    "/": "\\/",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _text(value: Any) -> str:
    """A value as Velocity prints it: true/false for booleans, digits for numbers."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def escape_javascript(value: Any, *, escape_non_ascii: bool = True) -> str | None:
    """``$util.escapeJavaScript``: Commons Lang 2 ``StringEscapeUtils.escapeJavaScript``; null stays null."""
    if value is None:
        return None
    out: list[str] = []
    for char in _text(value):
        code = ord(char)
        if char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif code < 0x20:
            out.append(f"\\u{code:04X}")
        elif code > 0x7F and escape_non_ascii:
            # Java strings are UTF-16: a character beyond the BMP is escaped as its two surrogates.
            units = char.encode("utf-16-be")
            out.extend(f"\\u{int.from_bytes(units[i : i + 2], 'big'):04X}" for i in range(0, len(units), 2))
        else:
            out.append(char)
    return "".join(out)


class _Util:
    def __init__(self, *, escape_non_ascii: bool):
        self._escape_non_ascii = escape_non_ascii

    def escapeJavaScript(self, value: Any) -> str | None:
        return escape_javascript(value, escape_non_ascii=self._escape_non_ascii)

    def parseJson(self, text: Any) -> Any:
        try:
            return json.loads(_text(text))
        except (TypeError, json.JSONDecodeError) as error:
            raise VtlError(f"$util.parseJson: not JSON: {text!r}") from error

    def urlEncode(self, value: Any) -> str | None:
        if value is None:
            return None
        # java.net.URLEncoder keeps only A-Z a-z 0-9 . - * _ ; Python's quote also keeps ~.
        return quote_plus(_text(value), safe="*").replace("~", "%7E")

    def urlDecode(self, value: Any) -> str | None:
        return None if value is None else unquote_plus(_text(value), errors="strict")

    def base64Encode(self, value: Any) -> str | None:
        return None if value is None else base64.b64encode(_text(value).encode("utf-8")).decode("ascii")

    def base64Decode(self, value: Any) -> str | None:
        if value is None:
            return None
        try:
            decoded = base64.b64decode(_text(value), validate=True)
        except ValueError as error:
            raise VtlError(f"$util.base64Decode: not base64: {value!r}") from error
        # API Gateway's $util is Java: bytes that are not UTF-8 become U+FFFD, as Java's String(byte[], Charset)
        # does ("always replaces malformed-input and unmappable-character sequences"), rather than failing the
        # template. https://docs.oracle.com/javase/8/docs/api/java/lang/String.html#String-byte:A-java.nio.charset.Charset-
        return decoded.decode("utf-8", errors="replace")


# ------------------------------------------------------------------------------------------------------ $input


class _Input:
    def __init__(self, body: str, params: dict[str, dict[str, str]]):
        self.body = body
        self._params = params

    def _payload(self) -> Any:
        if not self.body.strip():
            return {}
        try:
            return json.loads(self.body)
        except json.JSONDecodeError as error:
            raise VtlError(f"$input: the payload is not JSON: {error}") from error

    def path(self, path: str) -> Any:
        return jsonpath(self._payload(), path)

    def json(self, path: str) -> str:
        return json.dumps(jsonpath(self._payload(), path), ensure_ascii=False, separators=(",", ":"))

    def params(self, name: str | None = None) -> Any:
        if name is None:
            return {kind: dict(values) for kind, values in self._params.items()}
        for kind in ("path", "querystring", "header"):
            if name in self._params[kind]:
                return self._params[kind][name]
        return None


# ------------------------------------------------------------------------------------- Java methods for airspeed


def _utf16_units(text: str) -> bytes:
    # surrogatepass: a lone surrogate (JSON allows \ud800) is one unit in Java, not an encoding error.
    return text.encode("utf-16-le", "surrogatepass")


def _java_length(text: str) -> int:
    """String.length(): UTF-16 code units, so an emoji counts 2 (Python's len counts it 1)."""
    return len(_utf16_units(text)) // 2


def _java_code_point_count(text: str, begin: int, end: int) -> int:
    """String.codePointCount(begin, end): code points between two UTF-16 indexes; a lone surrogate counts one.
    Out-of-range indexes throw IndexOutOfBoundsException in Java, which fails the template."""
    units = _utf16_units(text)
    if not 0 <= begin <= end <= len(units) // 2:
        raise VtlError(f"String.codePointCount({begin}, {end}): IndexOutOfBoundsException (length {len(units) // 2})")
    return len(units[2 * begin : 2 * end].decode("utf-16-le", "surrogatepass"))


# Python-only regular expression syntax that java.util.regex refuses with PatternSyntaxException.
_PYTHON_ONLY_REGEX = re.compile(r"\(\?P[<=>]")


def _java_matches(text: str, pattern: str) -> bool:
    """String.matches(regex): Pattern.matches, true only when the whole string matches (a final newline is not
    skipped the way $ skips it). https://docs.oracle.com/javase/8/docs/api/java/lang/String.html#matches-java.lang.String-"""
    if _PYTHON_ONLY_REGEX.search(pattern):
        raise VtlError(f"String.matches({pattern!r}): PatternSyntaxException (Python-only syntax)")
    try:
        return re.fullmatch(pattern, text) is not None
    except re.error as error:
        raise VtlError(f"String.matches({pattern!r}): PatternSyntaxException: {error}") from error


def _java_trim(text: str) -> str:
    # String.trim drops every character up to and including the space, not just whitespace.
    return text.strip("".join(chr(code) for code in range(0x21)))


_JAVA_METHODS: Mapping[type, Mapping[str, Callable[..., Any]]] = {
    str: {
        "equals": lambda self, other: self == other,
        "equalsIgnoreCase": lambda self, other: isinstance(other, str) and self.lower() == other.lower(),
        "toLowerCase": lambda self: self.lower(),
        "toUpperCase": lambda self: self.upper(),
        "trim": _java_trim,
        "isEmpty": lambda self: not self,
        "endsWith": lambda self, suffix: self.endswith(suffix),
        "replace": lambda self, old, new: self.replace(old, new),
        "lastIndexOf": lambda self, part: self.rfind(part),
        "codePointCount": _java_code_point_count,
        "toString": lambda self: self,
    },
    dict: {
        "containsKey": lambda self, key: key in self,
        "isEmpty": lambda self: not self,
        "size": lambda self: len(self),
    },
}
# Where airspeed's own method is not Java's: replaced, so templates are counted and matched as API Gateway does.
_JAVA_OVERRIDES: Mapping[type, Mapping[str, Callable[..., Any]]] = {
    str: {"length": _java_length, "matches": _java_matches},
}
for _kind, _methods in _JAVA_METHODS.items():
    _table = _airspeed_operators.__additional_methods__.setdefault(_kind, {})
    for _name, _method in _methods.items():
        _table.setdefault(_name, _method)
for _kind, _methods in _JAVA_OVERRIDES.items():
    _airspeed_operators.__additional_methods__.setdefault(_kind, {}).update(_methods)


# ------------------------------------------------------------------------------------------------------- render


def _merged(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), dict):
            result[key] = _merged(result[key], value)
        else:
            result[key] = value
    return result


@functools.lru_cache(maxsize=256)
def _compiled(template: str) -> airspeed.Template:
    """A template parsed once: airspeed parses on first merge, which took a quarter of a burst's requests. The
    parsed tree is only read by later merges (each has its own namespace), so threads share it."""
    compiled = airspeed.Template(template)
    compiled.ensure_compiled()
    return compiled


def render(
    template: str,
    *,
    body: str = "",
    headers: Mapping[str, str] | None = None,
    path_params: Mapping[str, str] | None = None,
    query: Mapping[str, str] | None = None,
    context: Mapping[str, Any] | None = None,
    stage_variables: Mapping[str, str] | None = None,
    escape_non_ascii: bool = True,
) -> RenderResult:
    """Render one mapping template as API Gateway would for a request (or an integration response, with
    ``body`` the integration's payload and the parameters still those of the method request)."""
    override: dict[str, Any] = {"header": {}}
    default_context = {
        "requestId": str(uuid.uuid4()),
        "requestTimeEpoch": int(time.time() * 1000),
        "identity": {"sourceIp": "127.0.0.1"},
        "authorizer": {"claims": {}},
    }
    namespace = {
        "input": _Input(
            body,
            {
                "path": dict(path_params or {}),
                "querystring": dict(query or {}),
                "header": dict(headers or {}),
            },
        ),
        "util": _Util(escape_non_ascii=escape_non_ascii),
        "context": {**_merged(default_context, context or {}), "responseOverride": override},
        "stageVariables": dict(stage_variables or {}),
    }
    try:
        output = _compiled(template).merge(namespace)
    except airspeed.TemplateError as error:
        raise VtlError(f"mapping template failed: {error}") from error
    set_override = {key: value for key, value in override.items() if value not in (None, {})}
    return RenderResult(output=output, response_override=set_override)
