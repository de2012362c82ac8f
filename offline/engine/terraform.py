"""Read a synthesized stack (``cdktf.out/stacks/<stack>/cdk.tf.json``) the way Terraform does, without Terraform.

- :class:`Stack` loads the document, lists its resources and data sources, and orders them by dependency: a
  resource waits for every resource its arguments reference and every entry of its ``depends_on``.
- :func:`resolve` evaluates the ``${...}`` interpolations in a value, given the attributes of the resources it
  references, keyed ``(type, name)``; data sources are keyed ``("data.<type>", name)``.

What an interpolation may hold is what cdktf writes: references (``aws_x.name.attr``, ``data.aws_x.name.attr``, with
``.attr`` and ``[0]`` traversals after them), calls of the functions in :data:`FUNCTIONS` (``sha1(...)``), string,
number and boolean literals. Several interpolations may sit in one string, also inside JSON text such as an IAM
policy or a state machine definition: like Terraform, the value is substituted as text, so JSON stays JSON as long as
the value needs no escaping (ARNs, names and URLs never do). A string that is exactly one interpolation yields the
value itself (a number, a list), as in Terraform. ``$${`` is a literal ``${``.

Anything else (``var.``, ``local.``, ``module.``, ``count``/``for_each``, ``%{`` directives, an unknown function)
raises :class:`TerraformError` naming it, as does a reference to an unknown resource or attribute.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Address = tuple[str, str]
Attributes = Mapping[Address, Mapping[str, Any]]

# Meta-arguments cdktf may write beside a resource's arguments. ``lifecycle`` and ``provider`` change nothing in
# a single-provider, create-only run; the others would need Terraform's expansion, which is not modelled.
_IGNORED_META = ("lifecycle", "provider", "//")
_UNSUPPORTED_META = ("count", "for_each", "provisioner", "connection")


class TerraformError(ValueError):
    """The document uses something this reader does not model, or references something that does not exist."""


@dataclass(frozen=True)
class Reference:
    """``type.name`` (or ``data.type.name``) followed by attribute names and list indexes."""

    type: str
    name: str
    path: tuple[str | int, ...]

    @property
    def address(self) -> Address:
        return (self.type, self.name)

    def __str__(self) -> str:
        text = f"{self.type}.{self.name}"
        for step in self.path:
            text += f"[{step}]" if isinstance(step, int) else f".{step}"
        return text


@dataclass(frozen=True)
class Resource:
    """One resource or data source: its arguments without meta-arguments, and its explicit dependencies."""

    type: str
    name: str
    config: dict[str, Any]
    depends_on: tuple[Address, ...] = ()
    path: str = ""

    @property
    def address(self) -> Address:
        return (self.type, self.name)

    @property
    def is_data(self) -> bool:
        return self.type.startswith("data.")

    def __str__(self) -> str:
        return f"{self.type}.{self.name}"


@dataclass
class Stack:
    """A synthesized stack: its resources and data sources by address, its provider region and its outputs."""

    document: dict[str, Any]
    # The folder of cdk.tf.json: file assets (aws_s3_object's source) are relative to it.
    directory: Path | None = None
    resources: dict[Address, Resource] = field(init=False)

    def __post_init__(self) -> None:
        self.resources = {resource.address: resource for resource in _read_resources(self.document)}
        for resource in self.resources.values():
            for address in self.dependencies(resource):
                if address not in self.resources:
                    raise TerraformError(f"{resource}: references unknown resource {address[0]}.{address[1]}")

    @classmethod
    def load(cls, path: Path | str) -> Stack:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")), directory=Path(path).resolve().parent)

    @property
    def region(self) -> str:
        providers = self.document.get("provider", {}).get("aws", [{}])
        region = providers[0].get("region")
        if not isinstance(region, str):
            raise TerraformError("provider.aws: no literal region; the offline run needs one")
        return region

    @property
    def outputs(self) -> dict[str, Any]:
        """Each output's ``value`` expression, unresolved."""
        return {name: body.get("value") for name, body in self.document.get("output", {}).items()}

    def types(self) -> set[str]:
        return {resource.type for resource in self.resources.values() if not resource.is_data}

    def of_type(self, kind: str) -> list[Resource]:
        return [resource for resource in self.resources.values() if resource.type == kind]

    def dependencies(self, resource: Resource) -> set[Address]:
        return {reference.address for reference in references(resource.config)} | set(resource.depends_on)

    def waves(self) -> list[list[Resource]]:
        """Resources in dependency order, grouped as Terraform could create them: every member of a wave depends
        only on earlier waves, so Terraform may create a wave's members concurrently, in any order."""
        pending = {address: self.dependencies(resource) for address, resource in self.resources.items()}
        done: set[Address] = set()
        waves: list[list[Resource]] = []
        while pending:
            ready = sorted(address for address, needs in pending.items() if needs <= done)
            if not ready:
                raise TerraformError(f"dependency cycle among {sorted(f'{t}.{n}' for t, n in pending)}")
            waves.append([self.resources[address] for address in ready])
            done.update(ready)
            for address in ready:
                del pending[address]
        return waves

    def in_dependency_order(self) -> list[Resource]:
        return [resource for wave in self.waves() for resource in wave]


def _read_resources(document: Mapping[str, Any]) -> Iterator[Resource]:
    for mode, prefix in (("resource", ""), ("data", "data.")):
        for kind, items in document.get(mode, {}).items():
            for name, body in items.items():
                yield _resource(f"{prefix}{kind}", name, body)


def _resource(kind: str, name: str, body: Mapping[str, Any]) -> Resource:
    unsupported = sorted(set(body) & set(_UNSUPPORTED_META))
    if unsupported:
        raise TerraformError(f"{kind}.{name}: meta-argument {unsupported} is not modelled offline")
    depends_on = tuple(_depends_on_address(kind, name, entry) for entry in body.get("depends_on", []))
    config = {key: value for key, value in body.items() if key not in (*_IGNORED_META, "depends_on")}
    path = body.get("//", {}).get("metadata", {}).get("path", "")
    return Resource(kind, name, config, depends_on, path)


def _depends_on_address(kind: str, name: str, entry: str) -> Address:
    parts = entry.split(".")
    if len(parts) == 3 and parts[0] == "data":
        return (f"data.{parts[1]}", parts[2])
    if len(parts) == 2:
        return (parts[0], parts[1])
    raise TerraformError(f"{kind}.{name}: depends_on entry {entry!r} is not type.name")


# --- interpolation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Literal:
    value: Any


@dataclass(frozen=True)
class _Call:
    function: str
    arguments: tuple[Any, ...]


_Expression = Reference | _Literal | _Call
_Part = str | _Expression


def _template(text: str) -> list[_Part]:
    """Split a Terraform template string into literal text and parsed interpolations."""
    parts: list[_Part] = []
    literal: list[str] = []
    index = 0
    while index < len(text):
        if text.startswith("$${", index) or text.startswith("%%{", index):
            literal.append(text[index + 1 : index + 3])
            index += 3
        elif text.startswith("%{", index):
            raise TerraformError(f"template directive %{{...}} is not modelled offline, in {text[:80]!r}")
        elif text.startswith("${", index):
            end = _closing_brace(text, index + 2)
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(_Parser(text[index + 2 : end].strip("~ \t\n")).parse())
            index = end + 1
        else:
            literal.append(text[index])
            index += 1
    if literal:
        parts.append("".join(literal))
    return parts


def _closing_brace(text: str, start: int) -> int:
    depth, quoted, index = 0, False, start
    while index < len(text):
        char = text[index]
        if quoted:
            if char == "\\":
                index += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return index
            depth -= 1
        index += 1
    raise TerraformError(f"unterminated interpolation in {text[:80]!r}")


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>-?\d+(?:\.\d+)?)
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
      | (?P<punct>[.,()\[\]])
      | (?P<other>\S)
    )""",
    re.VERBOSE,
)


class _Parser:
    """Recursive descent over the expressions cdktf writes: references, function calls and literals."""

    def __init__(self, source: str):
        self.source = source
        self.tokens = self._tokenize(source)
        self.position = 0

    def _tokenize(self, source: str) -> list[tuple[str, str]]:
        tokens, index = [], 0
        while index < len(source):
            if source[index:].strip() == "":
                break
            match = _TOKEN.match(source, index)
            assert match is not None  # the pattern's last branch takes any character
            kind = match.lastgroup or ""
            tokens.append((kind, match.group(kind)))
            index = match.end()
        return tokens

    def parse(self) -> _Expression:
        expression = self._expression()
        if self.position != len(self.tokens):
            raise TerraformError(f"cannot read expression ${{{self.source}}}: unexpected {self._peek()[1]!r}")
        return expression

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else ("end", "")

    def _take(self, value: str | None = None) -> tuple[str, str]:
        token = self._peek()
        if token[0] == "end" or (value is not None and token[1] != value):
            raise TerraformError(f"cannot read expression ${{{self.source}}}: expected {value or 'more'}")
        self.position += 1
        return token

    def _expression(self) -> _Expression:
        kind, value = self._take()
        if kind == "number":
            return _Literal(float(value) if "." in value else int(value))
        if kind == "string":
            return _Literal(json.loads(value))
        if kind != "name":
            raise TerraformError(f"cannot read expression ${{{self.source}}}: unexpected {value!r}")
        if value in ("true", "false", "null"):
            return _Literal({"true": True, "false": False, "null": None}[value])
        if self._peek()[1] == "(":
            return self._call(value)
        return self._reference(value)

    def _call(self, function: str) -> _Call:
        if function not in FUNCTIONS:
            raise TerraformError(f"function {function}() in ${{{self.source}}} is not modelled offline")
        self._take("(")
        arguments: list[Any] = []
        while self._peek()[1] != ")":
            arguments.append(self._expression())
            if self._peek()[1] == ",":
                self._take(",")
        self._take(")")
        return _Call(function, tuple(arguments))

    def _reference(self, root: str) -> Reference:
        if root in ("var", "local", "module", "each", "count", "path", "terraform", "self"):
            raise TerraformError(f"{root}. references (in ${{{self.source}}}) are not modelled offline")
        names = [root]
        if root == "data":
            self._take(".")
            names.append(self._take()[1])
        self._take(".")
        names.append(self._take()[1])
        kind = ".".join(names[:-1])
        path: list[str | int] = []
        while self._peek()[1] in (".", "["):
            if self._take()[1] == ".":
                path.append(self._take()[1])
            else:
                step_kind, step = self._take()
                path.append(int(step) if step_kind == "number" else json.loads(step))
                self._take("]")
        return Reference(kind, names[-1], tuple(path))


def _json_encode(value: Any) -> str:
    # Terraform's jsonencode: no whitespace, keys sorted, and <, >, & escaped as in Go's encoding/json.
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _digest(algorithm: str) -> Callable[[str], str]:
    return lambda text: hashlib.new(algorithm, text.encode()).hexdigest()


FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "sha1": _digest("sha1"),
    "sha256": _digest("sha256"),
    "md5": _digest("md5"),
    "base64sha256": lambda text: base64.b64encode(hashlib.sha256(text.encode()).digest()).decode(),
    "base64encode": lambda text: base64.b64encode(text.encode()).decode(),
    "base64decode": lambda text: base64.b64decode(text).decode(),
    "jsonencode": _json_encode,
    "jsondecode": json.loads,
    "lower": str.lower,
    "upper": str.upper,
    "tostring": lambda value: _as_text(value, "tostring()"),
    "join": lambda separator, items: separator.join(_as_text(item, "join()") for item in items),
    "length": len,
}


# --- resolution --------------------------------------------------------------------------------------


def references(value: Any) -> list[Reference]:
    """Every reference in a value: strings, and lists and maps of them, at any depth."""
    found: list[Reference] = []
    for text in strings_in(value):
        for part in _template(text):
            if not isinstance(part, str):
                found.extend(_expression_references(part))
    return found


def strings_in(value: Any) -> Iterator[str]:
    """Every string in a JSON value, at any depth."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, Sequence):
        for item in value:
            yield from strings_in(item)


def _expression_references(expression: _Expression) -> Iterator[Reference]:
    if isinstance(expression, Reference):
        yield expression
    elif isinstance(expression, _Call):
        for argument in expression.arguments:
            yield from _expression_references(argument)


def resolve(value: Any, attributes: Attributes, *, where: str = "") -> Any:
    """``value`` with every interpolation evaluated against ``attributes`` (``(type, name) -> attributes``)."""
    if isinstance(value, str):
        return _resolve_text(value, attributes, where)
    if isinstance(value, Mapping):
        return {key: resolve(item, attributes, where=f"{where}.{key}" if where else key) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [resolve(item, attributes, where=f"{where}[{index}]") for index, item in enumerate(value)]
    return value


def _resolve_text(text: str, attributes: Attributes, where: str) -> Any:
    parts = _template(text)
    if len(parts) == 1 and not isinstance(parts[0], str):
        return _evaluate(parts[0], attributes, where)
    return "".join(
        part if isinstance(part, str) else _as_text(_evaluate(part, attributes, where), where) for part in parts
    )


def _evaluate(expression: _Expression, attributes: Attributes, where: str) -> Any:
    if isinstance(expression, _Literal):
        return expression.value
    if isinstance(expression, _Call):
        arguments = [_evaluate(argument, attributes, where) for argument in expression.arguments]
        return FUNCTIONS[expression.function](*arguments)
    return lookup(expression, attributes, where=where)


def lookup(reference: Reference, attributes: Attributes, *, where: str = "") -> Any:
    """The value a reference names; an unknown resource or attribute raises, naming the reference."""
    context = f" (in {where})" if where else ""
    if reference.address not in attributes:
        raise TerraformError(f"reference to unknown resource {reference.type}.{reference.name}{context}")
    value: Any = attributes[reference.address]
    walked = f"{reference.type}.{reference.name}"
    for step in reference.path:
        known = isinstance(value, Mapping) and step in value
        indexable = isinstance(value, list) and isinstance(step, int) and -len(value) <= step < len(value)
        if not (known or indexable):
            choices = f"; known: {sorted(value)}" if isinstance(value, Mapping) else ""
            raise TerraformError(f"reference to unknown attribute {reference} at {walked}{context}{choices}")
        value = value[step]
        walked += f"[{step}]" if isinstance(step, int) else f".{step}"
    return value


def _as_text(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str | int | float):
        return str(value)
    raise TerraformError(f"{where}: a {type(value).__name__} cannot be interpolated into a string")
