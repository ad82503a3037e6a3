"""The search index's schema: one document per page, one per author, one tracking document.

Titles and text are analysed as Danish (Snowball stemmer, Danish stopwords), so "hestene"
finds "hest" and "kommunerne" finds "kommune". Everything a hit shows is stored, so a search
needs nothing but the index.
"""

import threading

from whoosh.analysis import Analyzer, LanguageAnalyzer
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

DANISH = LanguageAnalyzer("da")  # the indexer's (one thread)
_ANALYZERS = threading.local()


def danish() -> Analyzer:
    """This thread's Danish analyzer, for queries and snippets. Its stemmer's cache is
    not thread-safe, so request threads do not share one."""
    analyzer: Analyzer | None = getattr(_ANALYZERS, "danish", None)
    if analyzer is None:
        analyzer = _ANALYZERS.danish = LanguageAnalyzer("da")
    return analyzer


TRACKING_ID = "__tracking__"  # the document holding the index's position in the log
PAGE_PREFIX = "page:"
AUTHOR_PREFIX = "author:"
PAGE_DOCTYPE = "page"
HIDDEN = "yes"  # `hidden` of a deleted page: kept for a restore, never found

# Facets: counted for every search. Filters: any of these and the relation filter.
FACETS = ("kind", "sector", "theme", "tags", "authors")
FILTERS = (*FACETS, "area", "audience", "level")


def make_schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True),
        doctype=ID(),
        # pages
        title=TEXT(analyzer=DANISH, stored=True),  # weighted in ranking (engine.TEXT_FIELDS)
        body=TEXT(analyzer=DANISH, stored=True),
        slug=ID(stored=True),
        slugs=KEYWORD(stored=True, commas=True),  # every slug it has had: old ones redirect
        kind=ID(stored=True),
        sector=ID(stored=True),
        theme=ID(stored=True),
        area=ID(stored=True),
        audience=ID(stored=True),
        level=ID(stored=True),
        tags=KEYWORD(stored=True, commas=True),
        authors=KEYWORD(stored=True, commas=True),  # author ids; names in author documents
        related=KEYWORD(commas=True),  # slugs of the pages its relations name
        relations=STORED(),  # {"cases": [title, ...], ...}
        created=STORED(),
        modified=DATETIME(stored=True, sortable=True),
        hidden=ID(stored=True),
        # authors
        author_name=STORED(),
        # the tracking document
        position=NUMERIC(stored=True, bits=64),
        store=STORED(),
        schema=STORED(),  # the version of this schema and of what documents hold
    )
