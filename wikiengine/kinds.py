"""Page kinds: the fields an article, a case, a recommendation and a network page may
have in their front matter, as pydantic models, and a page's text read into its kind,
fields, typed relations to other pages, tags and body.

`check_page` is strict and guards every save; `read_page` never raises, because text saved
before a rule existed must still be readable.
"""

from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from wikiengine.errors import InvalidFrontMatter, InvalidInput, InvalidTitle
from wikiengine.frontmatter import Field, find_block, parse_fields
from wikiengine.titles import normalise_title

KINDS = ("article", "case", "recommendation", "network")
DEFAULT_KIND = "article"
RELATIONS = ("cases", "recommendations", "network")  # lists of the titles of related pages
MAX_TAG_LENGTH = 60

Sector = Literal["stat", "kommune", "region", "other"]
Level = Literal["kommunalbestyrelse", "regionsråd", "Folketinget"]


def _title(value: str) -> str:
    try:
        return normalise_title(value)
    except InvalidTitle as error:
        raise ValueError(f"is not a valid page title: {error.reason}") from None


def _tag(value: str) -> str:
    tag = " ".join(value.split())
    if not tag:
        raise ValueError("is empty")
    if len(tag) > MAX_TAG_LENGTH:
        raise ValueError(f"is longer than {MAX_TAG_LENGTH} characters")
    return tag


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


Titles = Annotated[list[Annotated[str, AfterValidator(_title)]], AfterValidator(_unique)]
Tags = Annotated[list[Annotated[str, AfterValidator(_tag)]], AfterValidator(_unique)]


class PageFields(BaseModel):
    """What every kind may have; every field is optional, so a draft can be saved."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    cases: Titles | None = None
    recommendations: Titles | None = None
    network: Titles | None = None
    tags: Tags | None = None


class ArticleFields(PageFields):
    """General knowledge: relations and tags only."""


class CaseFields(PageFields):
    """An innovation case, with the four things COI asks of every case."""

    organisation: str | None = None
    sector: Sector | None = None
    area: str | None = None
    status: str | None = None
    period: str | None = None
    effect: str | None = None
    process: str | None = None
    conditions: str | None = None
    documentation: str | None = None


class RecommendationFields(PageFields):
    """An innovation recommendation for employees and leaders, supported by cases."""

    audience: str | None = None
    theme: str | None = None


class NetworkFields(PageFields):
    """A topic of the politicians' network."""

    level: Level | None = None
    parties: list[str] | None = None
    tasks: list[str] | None = None


FIELDS_BY_KIND: dict[str, type[PageFields]] = {
    "article": ArticleFields,
    "case": CaseFields,
    "recommendation": RecommendationFields,
    "network": NetworkFields,
}
CHOICES: dict[str, tuple[str, ...]] = {"sector": get_args(Sector), "level": get_args(Level)}
_COMMON = tuple(PageFields.model_fields)
# A kind's own fields first, then the relations and tags every kind has.
_FIELD_ORDER = {
    kind: (*(name for name in model.model_fields if name not in _COMMON), *_COMMON)
    for kind, model in FIELDS_BY_KIND.items()
}


@dataclass(frozen=True)
class PageContent:
    """A page's text read by its kind."""

    kind: str
    fields: dict[str, Any]  # the validated front matter (JSON values) without `kind`
    relations: dict[str, tuple[str, ...]]  # every one of RELATIONS: normalised page titles
    tags: tuple[str, ...]
    body: str  # the markdown after the front matter


def check_page(text: str) -> PageContent:
    """Read `text`, refusing front matter that is not valid for its kind.

    Raises `InvalidFrontMatter` naming the field and the line of the first problem.
    """
    block = find_block(text)
    if block is None:
        return _article(text)
    fields = parse_fields(block.source)
    kind = _kind(fields)
    values = {name: field.value for name, field in fields.items() if name != "kind"}
    try:
        model = FIELDS_BY_KIND[kind].model_validate(values)
    except ValidationError as error:
        raise _first_problem(kind, fields, error.errors(include_url=False)) from None
    return _content(kind, model, block.body)


def read_page(text: str) -> PageContent:
    """Read `text` as `check_page` does, but never raise: a page whose front matter is not
    valid reads as an article with no fields, and its body without the block."""
    block = find_block(text)
    if block is None:
        return _article(text)
    try:
        return check_page(text)
    except InvalidFrontMatter:
        return _article(block.body)


def _article(body: str) -> PageContent:
    return PageContent(DEFAULT_KIND, {}, {name: () for name in RELATIONS}, (), body)


def _kind(fields: dict[str, Field]) -> str:
    if "kind" not in fields:
        return DEFAULT_KIND
    kind = fields["kind"].value
    if not isinstance(kind, str) or kind not in KINDS:
        raise InvalidFrontMatter(
            f"must be one of {', '.join(KINDS)} (got {_shown(kind)})",
            field="kind",
            line=fields["kind"].line,
        )
    return kind


def _content(kind: str, model: PageFields, body: str) -> PageContent:
    values = model.model_dump(exclude_none=True)
    return PageContent(
        kind=kind,
        fields={name: values[name] for name in _FIELD_ORDER[kind] if name in values},
        relations={name: tuple(getattr(model, name) or ()) for name in RELATIONS},
        tags=tuple(model.tags or ()),
        body=body,
    )


def _first_problem(
    kind: str, fields: dict[str, Field], errors: list[ErrorDetails]
) -> InvalidFrontMatter:
    """The problem nearest the top of the page, as the editor reads it."""
    problems = []
    for error in errors:
        name = str(error["loc"][0])
        field = fields[name]
        line, problem = field.line, _problem(kind, error)
        if len(error["loc"]) > 1 and isinstance(item := error["loc"][1], int):
            problem = f"item {item + 1} {problem}"
            if item < len(field.item_lines):
                line = field.item_lines[item]
        problems.append((line, name, problem))
    line, name, problem = min(problems, key=lambda found: found[0])
    return InvalidFrontMatter(problem, field=name, line=line)


def _problem(kind: str, error: ErrorDetails) -> str:
    got = f" (got {_shown(error['input'])})"
    match error["type"]:
        case "extra_forbidden":
            allowed = ", ".join(["kind", *_FIELD_ORDER[kind]])
            article = "an" if kind[0] in "aeiou" else "a"
            return f"is not a field of {article} {kind} page; its fields are: {allowed}"
        case "literal_error":
            return f"must be one of {', '.join(CHOICES[str(error['loc'][0])])}{got}"
        case "string_type" if isinstance(error["input"], bool):
            return f"must be text{got}; YAML reads yes, no, true and false as truth values"
        case "string_type":
            return f"must be text{got}"
        case "list_type":
            return f"must be a list, like [first, second]{got}"
        case "value_error":
            return f"{error.get('ctx', {}).get('error', error['msg'])}{got}"
    return f"{error['msg']}{got}"


def _shown(value: Any) -> str:
    """A short description of a value the editor gave (values may be huge or cyclic)."""
    if isinstance(value, list | tuple | set):
        return "a list"
    if isinstance(value, dict):
        return "fields"
    if value is None:
        return "nothing"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"


# ---------------------------------------------------------------------- new pages


@dataclass(frozen=True)
class KindField:
    """A front matter field as an editor meets it: whether it holds a list of values, and
    the values it may take (empty: any text)."""

    name: str
    is_list: bool
    choices: tuple[str, ...]


def kind_fields(kind: str) -> tuple[KindField, ...]:
    """The fields of `kind` in the order a page shows them. Raises `InvalidInput`."""
    model = FIELDS_BY_KIND.get(kind)
    if model is None:
        raise InvalidInput(f"Unknown page kind {kind!r}; the kinds are {', '.join(KINDS)}.")
    return tuple(
        KindField(name, _holds_list(model.model_fields[name].annotation), CHOICES.get(name, ()))
        for name in _FIELD_ORDER[kind]
    )


def new_page_text(kind: str) -> str:
    """The starting text of a new page of `kind`: its front matter with every field empty
    (lists as `[]`; a choice field lists its values in a comment), and no body.

    Saved unchanged it is a valid, empty page of that kind.
    """
    lines = ["---", f"kind: {kind}"]
    for field in kind_fields(kind):
        if field.is_list:
            lines.append(f"{field.name}: []")
        elif field.choices:
            lines.append(f"{field.name}:  # {' | '.join(field.choices)}")
        else:
            lines.append(f"{field.name}:")
    lines.append("---")
    return "\n".join(lines) + "\n"


_UNIONS = (Union, UnionType)


def declared_kind(text: str) -> str:
    """The kind a page's text says it is, even while its other fields are not valid (an
    editor fixing a case's `sector` still wants a case's help); the default otherwise."""
    block = find_block(text)
    if block is None:
        return DEFAULT_KIND
    try:
        declared = parse_fields(block.source).get("kind")
    except InvalidFrontMatter:
        return DEFAULT_KIND
    kind = declared.value if declared is not None else DEFAULT_KIND
    return kind if isinstance(kind, str) and kind in KINDS else DEFAULT_KIND


def _holds_list(annotation: Any) -> bool:
    # `Titles | None` is Optional[Annotated[list[...], ...]]: look through both wrappers.
    for option in get_args(annotation) if get_origin(annotation) in _UNIONS else (annotation,):
        while get_origin(option) is Annotated:
            option = get_args(option)[0]
        if get_origin(option) is list:
            return True
    return False
