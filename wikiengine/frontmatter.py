"""The YAML block between `---` lines at the top of a page: finding it, parsing it, and the
line each field is on, so an editor is told where in their own text a problem is.

Line numbers count the whole page text from 1; the `---` opener is line 1. Parsing refuses
what cannot be a list of fields (a YAML syntax error, a block that is not a mapping, a
field name that is not text, a field given twice) with `InvalidFrontMatter`. Whether the
fields suit a page kind is `wikiengine.kinds`' business.
"""

import datetime
import math
import re
from dataclasses import dataclass
from typing import Any

import yaml

from wikiengine.errors import InvalidFrontMatter

FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)
FIRST_LINE = 2  # the page line of the block's first YAML line: the '---' opener is line 1

# libyaml parses several times faster than the pure-Python loader; projections read
# every page's front matter.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OFFSETS_IN_BYTES = _Loader is not yaml.SafeLoader  # libyaml counts bytes, PyYAML characters
_TEXT_TAG = "tag:yaml.org,2002:str"


@dataclass(frozen=True)
class Block:
    """The front matter block of a page: its YAML source and the text after it."""

    source: str
    body: str


@dataclass(frozen=True)
class Field:
    """One top-level field of the front matter, with where it is in the page."""

    value: Any  # JSON-shaped where it is a scalar or a list of scalars
    line: int
    item_lines: tuple[int, ...]  # the line of each item, when the value is a list


def find_block(text: str) -> Block | None:
    """The front matter block at the top of `text`, or None when there is none."""
    match = FRONT_MATTER.match(text)
    if match is None:
        return None
    return Block(source=match.group("yaml") or "", body=text[match.end() :])


def parse_fields(source: str) -> dict[str, Field]:
    """The fields of a front matter block, in the order written.

    Raises `InvalidFrontMatter` when the block is not valid YAML or not a mapping from
    field names to values, or when a field is given twice.
    """
    try:
        loader = _Loader(source)
    except UnicodeError as error:  # libyaml cannot encode an unpaired surrogate
        start = getattr(error, "start", 0)
        raise _syntax_error(
            "the text contains an unpaired surrogate character", source.count("\n", 0, start)
        ) from None
    root: yaml.Node | None = None
    try:
        root = loader.get_single_node()
        data = {} if root is None else loader.construct_document(root)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        context = error.context
        if context and error.context_mark and mark and error.context_mark.line != mark.line:
            context += f" from line {error.context_mark.line + FIRST_LINE}"
        problem = ", ".join(part for part in (context, error.problem) if part)
        raise _syntax_error(problem or str(error), mark.line if mark else None) from None
    except yaml.YAMLError as error:  # a character YAML does not allow (ReaderError)
        raise _syntax_error(str(error).splitlines()[0], _reader_line(source, error)) from None
    except Exception as error:  # a constructor refusing a value: 2014-13-01, `!!int x`
        raise _unreadable_value(root, error) from None
    finally:
        loader.dispose()
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        raise InvalidFrontMatter(
            "the front matter must be fields, one `name: value` per line",
            field=None,
            line=root.start_mark.line + FIRST_LINE,
        )
    return _fields(root, data)


def _fields(root: yaml.MappingNode, data: dict[Any, Any]) -> dict[str, Field]:
    fields: dict[str, Field] = {}
    # The constructor has already flattened `<<` merge keys into root.value.
    for key_node, value_node in root.value:
        line = key_node.start_mark.line + FIRST_LINE
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _TEXT_TAG:
            name = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            raise InvalidFrontMatter(
                "a field name must be a word; put it in quotes if YAML reads it as something else",
                field=name,
                line=line,
            )
        name = key_node.value
        if name in fields:
            raise InvalidFrontMatter(
                f"is given twice (also on line {fields[name].line})", field=name, line=line
            )
        items = value_node.value if isinstance(value_node, yaml.SequenceNode) else []
        fields[name] = Field(
            value=_shallow_json(data[name]),
            line=line,
            item_lines=tuple(item.start_mark.line + FIRST_LINE for item in items),
        )
    return fields


def _shallow_json(value: Any) -> Any:
    """A scalar or a list of scalars as JSON values; anything deeper is left as it is.

    Front matter fields are never nested, so nested values are refused by validation
    without being walked: YAML aliases can make them exponentially large or cyclic.
    """
    if isinstance(value, list):
        return [json_scalar(item) for item in value]
    return json_scalar(value)


def json_scalar(value: Any) -> Any:
    """YAML gives dates and other types; readers and the JSON API want JSON values."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN or infinity
    if value is None or isinstance(value, bool | int | float | str | list | dict | set):
        return value
    if isinstance(value, datetime.date):  # also datetime.datetime
        return value.isoformat()
    return str(value)


def _syntax_error(problem: str, yaml_line: int | None) -> InvalidFrontMatter:
    line = None if yaml_line is None else yaml_line + FIRST_LINE
    return InvalidFrontMatter(f"the YAML cannot be read: {problem}", field=None, line=line)


def _unreadable_value(root: yaml.Node | None, error: Exception) -> InvalidFrontMatter:
    """PyYAML's constructors raise plain Python errors (a date with month 13, `!!int x`)
    without a position: construct each field on its own to find the one at fault."""
    problem = f"the value cannot be read: {error}"
    pairs = root.value if isinstance(root, yaml.MappingNode) else []
    for key_node, value_node in pairs:
        try:
            yaml.constructor.SafeConstructor().construct_document(value_node)
        except Exception:
            name = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            return InvalidFrontMatter(
                problem, field=name, line=key_node.start_mark.line + FIRST_LINE
            )
    line = None if root is None else root.start_mark.line + FIRST_LINE
    return InvalidFrontMatter(problem, field=None, line=line)


def _reader_line(source: str, error: yaml.YAMLError) -> int | None:
    position = getattr(error, "position", None)
    if not isinstance(position, int):
        return None
    if _OFFSETS_IN_BYTES:
        return source.encode("utf-8", "replace")[:position].count(b"\n")
    return source.count("\n", 0, position)
