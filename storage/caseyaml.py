"""A case file's YAML: PyYAML's safe loader and dumper, with what Tripod changes in them.

The loader (:class:`CaseLoader`) refuses a key given twice in one mapping (PyYAML keeps the last),
keeps dates as text for the intake model to check, reads numbers as a person writes them (decimal,
or kept as a ``NumberForm``, never YAML 1.1's octal, hex, binary, underscored or base-60 values:
``engine/forms.py``), and says where a value that cannot be built is. The dumper
(:class:`CaseDumper`) writes text so that it reads back unchanged. ``storage/casefile.py`` turns
what they raise into problem lines.
"""

from __future__ import annotations

import re
import sys
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

import yaml

from engine.forms import DECIMAL, DECIMAL_INT, OTHER_NUMBER, NumberForm

# libyaml's parser reads a case file about six times faster than the pure-Python one; the
# constructors, and so the duplicate-key check below, are the same Python code either way.
if TYPE_CHECKING:
    from yaml import SafeLoader as _SafeLoader
else:
    try:
        from yaml import CSafeLoader as _SafeLoader
    except ImportError:  # pragma: no cover - PyYAML built without libyaml
        from yaml import SafeLoader as _SafeLoader


class DuplicateKey(Exception):
    """A key given twice in one mapping (YAML or JSON), with its line (0 when unknown)."""

    def __init__(self, key: Any, line: int) -> None:
        super().__init__(key, line)
        self.key = key
        self.line = line


class Unbuildable(Exception):
    """Text that parses but makes no value: the place and the words of one problem line."""

    def __init__(self, what: str, allowed: str, mark: Any = None) -> None:
        place = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        super().__init__(what)
        self.value = f"({what}{place})"
        self.allowed = allowed


def digit_limit() -> str:
    return f"allowed numbers of at most {sys.get_int_max_str_digits()} digits"


class CaseLoader(_SafeLoader):
    """A safe loader that refuses a key given twice in one mapping (PyYAML keeps the last), keeps
    dates as text, and says where a value that cannot be built is."""

    # The implicit resolvers by a scalar's first character, wildcard ones after (set below, once
    # the resolvers are Tripod's).
    _resolvers_by_first: ClassVar[dict[str, tuple[tuple[str, re.Pattern[str]], ...]]] = {}
    _wildcard: ClassVar[tuple[tuple[str, re.Pattern[str]], ...]] = ()

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # PyYAML's own resolution of a plain scalar, without the list it joins for each one (the
        # parser asks once per scalar); anything else, and path resolvers, as PyYAML does it.
        if kind is yaml.ScalarNode and implicit[0] and not self.yaml_path_resolvers:
            for tag, regexp in self._resolvers_by_first.get(value[:1], self._wildcard):
                if regexp.match(value):
                    return tag
            return self.DEFAULT_SCALAR_TAG
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError) as exc:
            raise _unreadable(node) from exc

    def construct_document(self, node: yaml.Node) -> Any:
        # PyYAML's construction without its machinery per value (a generator per mapping, three
        # look-ups and a try per node): a case file's mappings, lists and scalars are built here,
        # in PyYAML's order, and anything else (another tag) as PyYAML builds it.
        try:
            data = self._build(node)
            while self.state_generators:  # what PyYAML's constructors left to fill
                generators, self.state_generators = self.state_generators, []
                for generator in generators:
                    for _ in generator:
                        pass
            return data
        finally:
            self.constructed_objects = {}
            self.recursive_objects = {}
            self.deep_construct = False

    def _build(self, root: yaml.Node) -> Any:
        """The value of ``root``: each node built once (an alias gives the same object), level by
        level as PyYAML does it (a mapping's keys, then its values, the mappings and lists among
        them filled after every other of this level), so the first problem is the same one; no
        recursion, so nesting depth is checked afterwards, not by a crash."""
        built: dict[yaml.Node, Any] = {}
        waiting: deque[yaml.Node] = deque()
        scalars = {tag: self.yaml_constructors[tag] for tag in _SCALAR_TAGS}

        def build(node: yaml.Node) -> Any:
            if node in built:
                return built[node]
            made: Any
            if isinstance(node, yaml.ScalarNode) and node.tag in scalars:
                try:
                    made = scalars[node.tag](self, node)
                except (ValueError, TypeError) as exc:
                    raise _unreadable(node) from exc
            elif isinstance(node, yaml.MappingNode) and node.tag == _MAP:
                made = {}
                waiting.append(node)
            elif isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
                made = []
                waiting.append(node)
            else:
                return self.construct_object(node)
            built[node] = made
            return made

        data = build(root)
        while waiting:
            node = waiting.popleft()
            filling = built[node]
            if isinstance(filling, dict):
                keys = [_unique_key(build, key_node, filling) for key_node, _ in node.value]
                for key, (_, value_node) in zip(keys, node.value):
                    filling[key] = build(value_node)
            else:
                filling.extend(build(child) for child in node.value)
        return data


def _unreadable(node: yaml.Node) -> Unbuildable:
    # The exception's own words may quote the value (patient data): name the place only.
    return Unbuildable("a value that cannot be read", "allowed valid YAML values", node.start_mark)


def _construct_unique_mapping(loader: CaseLoader, node: yaml.MappingNode
                              ) -> Iterator[dict[Any, Any]]:
    # A generator, as PyYAML's own mapping constructor is: the loader fills nested mappings one
    # after another instead of recursing, so nesting depth is checked afterwards, not by a crash.
    data: dict[Any, Any] = {}
    yield data
    # Every key first (a key given twice is the problem even when a value before it is another),
    # each built once, then the values. A merge key (<<) has no constructor: refused as a tag.
    keys = [_unique_key(loader.construct_object, key_node, data) for key_node, _ in node.value]
    for key, (_, value_node) in zip(keys, node.value):
        data[key] = loader.construct_object(value_node)


def _unique_key(build: Callable[[yaml.Node], Any], key_node: yaml.Node, seen: dict[Any, Any]
                ) -> Any:
    key = _as_key(build(key_node))
    if not isinstance(key, Hashable):
        raise Unbuildable("a list or mapping as a key", "allowed keys that are field names",
                          key_node.start_mark)
    if key in seen:
        raise DuplicateKey(key, key_node.start_mark.line + 1)
    seen[key] = None
    return key


def _as_key(key: Any) -> Any:
    # A key is a name, not a value: 030 as a key is the name "030" (an unknown field), never 24.
    return key.text if isinstance(key, NumberForm) else key


def _construct_int(loader: CaseLoader, node: yaml.ScalarNode) -> int:
    try:
        number: int = loader.construct_yaml_int(node)
    except ValueError as exc:
        digits = sum(c.isdigit() for c in str(node.value))
        if digits <= sys.get_int_max_str_digits():
            raise
        raise Unbuildable(f"a number of {digits} digits", digit_limit(), node.start_mark) from exc
    return number


def _construct_decimal_int(loader: CaseLoader, node: yaml.ScalarNode) -> int | NumberForm:
    # Plain scalars reach here only when decimal (see the resolvers below); an explicit !!int 030
    # does too, and is kept as written.
    text = str(node.value)
    return _construct_int(loader, node) if DECIMAL_INT.fullmatch(text) else NumberForm(text)


def _construct_decimal_float(loader: CaseLoader, node: yaml.ScalarNode
                             ) -> float | NumberForm:
    text = str(node.value)
    if DECIMAL.fullmatch(text) or _INF_NAN.fullmatch(text):
        number: float = loader.construct_yaml_float(node)
        return number
    return NumberForm(text)


def _construct_number_form(loader: CaseLoader, node: yaml.ScalarNode) -> NumberForm:
    return NumberForm(str(loader.construct_scalar(node)))


def _construct_timestamp_as_text(loader: CaseLoader, node: yaml.ScalarNode) -> str:
    # YAML 1.1 builds 2026-11-20 into a date itself and fails on 2026-13-45 with no field name;
    # kept as text, the intake model checks it as it checks a JSON date, naming the field.
    return str(loader.construct_scalar(node))


CaseLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)
# Numbers as a person writes them (engine/forms.py): the YAML 1.1 int and float resolvers, which
# read 030 as 24 and 1:10 as 70, give way to decimal ones, and every other number form YAML knows
# resolves to a tag of ours that keeps it as written, for the intake model to refuse.
_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_MAP, _SEQ = yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG
_NUMBER_FORM = "tag:tripod,2026:number-form"
_INF_NAN = re.compile(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")
CaseLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_INT, _FLOAT)]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}
for _tag, _pattern in ((_INT, DECIMAL_INT), (_FLOAT, DECIMAL), (_FLOAT, _INF_NAN),
                       (_NUMBER_FORM, OTHER_NUMBER)):
    CaseLoader.add_implicit_resolver(_tag, re.compile(f"^(?:{_pattern.pattern})$"),
                                           list("-+0123456789."))
CaseLoader._wildcard = tuple(CaseLoader.yaml_implicit_resolvers.get(None, ()))
CaseLoader._resolvers_by_first = {
    first: (*resolvers, *CaseLoader._wildcard)
    for first, resolvers in CaseLoader.yaml_implicit_resolvers.items() if first is not None
}
CaseLoader.add_constructor(_INT, _construct_decimal_int)
CaseLoader.add_constructor(_FLOAT, _construct_decimal_float)
CaseLoader.add_constructor(_NUMBER_FORM, _construct_number_form)
CaseLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)
# The scalars CaseLoader builds itself (construct_document); any other tag as PyYAML builds it.
_SCALAR_TAGS = ("tag:yaml.org,2002:str", "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", _INT,
                _FLOAT, _NUMBER_FORM, "tag:yaml.org,2002:timestamp")


class CaseDumper(yaml.SafeDumper):
    """PyYAML's safe dumper, but text holding a line break other than LF (NEL, U+2028, U+2029) is
    written double-quoted, with the break escaped: in a plain or single-quoted scalar YAML folds it,
    and U+0085 came back as a space."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    if any(char in text for char in "\x85\u2028\u2029"):
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style='"')
    return dumper.represent_str(text)


CaseDumper.add_representer(str, _represent_text)
# The dumper quotes text that a plain scalar would not read back as; it must judge by the loader's
# resolvers, not YAML 1.1's: "08" is text to YAML 1.1, a number form to CaseLoader.
CaseDumper.yaml_implicit_resolvers = {
    first: list(resolvers) for first, resolvers in CaseLoader.yaml_implicit_resolvers.items()
}
