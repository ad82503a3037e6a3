"""The tables of the SQL read model: one place that knows their shape.

Everything here is a projection of the event log: `wikiengine rebuild sql` drops these
tables and fills them again from the log. Text columns hold JSON where a value is a
list or mapping; flags are 0/1 integers so one definition serves SQLite and PostgreSQL.
"""

# The shape of the tables below. A read model built for another shape (an older release
# without a table, say) is dropped and rebuilt from the log when the server opens it.
READ_MODEL_VERSION = 2
VERSION_TABLE = "view_schema"

TABLES = (
    "view_pages",
    "view_slugs",
    "view_revisions",
    "view_credits",
    "view_blame",
    "view_links",
    "view_authors",
    "view_audit",
)

CREATE_STATEMENTS = (
    # The current state of each page. `rendered_version` says which text version the
    # derived columns (kind, fields, html, toc) and the page's links were made from;
    # `stale` marks pages whose derived columns are behind their text (a catch-up
    # renders each page once, not once per revision).
    """CREATE TABLE IF NOT EXISTS view_pages (
        page_id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        slug TEXT NOT NULL,
        version INTEGER NOT NULL,
        text_version INTEGER NOT NULL,
        body TEXT NOT NULL,
        body_sha256 TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by_id TEXT NOT NULL,
        created_by_name TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        updated_by_id TEXT NOT NULL,
        updated_by_name TEXT NOT NULL,
        protected INTEGER NOT NULL,
        deleted INTEGER NOT NULL,
        stale INTEGER NOT NULL,
        rendered_version INTEGER NOT NULL,
        kind TEXT NOT NULL,
        fields TEXT NOT NULL,
        html TEXT NOT NULL,
        toc TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS view_pages_stale ON view_pages (page_id) WHERE stale = 1",
    "CREATE INDEX IF NOT EXISTS view_pages_title ON view_pages (title)",
    # Every slug ever claimed, and the page it leads to; a slug that is not its page's
    # current slug is a redirect left by a rename.
    """CREATE TABLE IF NOT EXISTS view_slugs (
        slug TEXT PRIMARY KEY,
        page_id TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS view_slugs_page ON view_slugs (page_id)",
    # One row per page event (every version), with the page's state after it.
    """CREATE TABLE IF NOT EXISTS view_revisions (
        page_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        position BIGINT NOT NULL,
        type TEXT NOT NULL,
        title TEXT NOT NULL,
        author_id TEXT NOT NULL,
        author_name TEXT NOT NULL,
        signed_at TEXT NOT NULL,
        summary TEXT NOT NULL,
        size INTEGER NOT NULL,
        delta INTEGER NOT NULL,
        digest TEXT NOT NULL,
        text_version INTEGER NOT NULL,
        merged INTEGER NOT NULL,
        deleted INTEGER NOT NULL,
        suppressed INTEGER NOT NULL,
        PRIMARY KEY (page_id, version)
    )""",
    "CREATE INDEX IF NOT EXISTS view_revisions_position ON view_revisions (position)",
    "CREATE INDEX IF NOT EXISTS view_revisions_author ON view_revisions (author_id, position)",
    # Each contributor's text edits of each page.
    """CREATE TABLE IF NOT EXISTS view_credits (
        page_id TEXT NOT NULL,
        author_id TEXT NOT NULL,
        author_name TEXT NOT NULL,
        edits INTEGER NOT NULL,
        first_edit TEXT NOT NULL,
        last_edit TEXT NOT NULL,
        chars_added INTEGER NOT NULL,
        chars_removed INTEGER NOT NULL,
        PRIMARY KEY (page_id, author_id)
    )""",
    "CREATE INDEX IF NOT EXISTS view_credits_author ON view_credits (author_id)",
    # Line-level blame of each page's current text (JSON, see wikiengine.blame).
    """CREATE TABLE IF NOT EXISTS view_blame (
        page_id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        lines TEXT NOT NULL
    )""",
    # Outgoing links of each page's current text: `link` for [[links]] in the text,
    # or the typed relation named in its front matter (cases, recommendations, network).
    """CREATE TABLE IF NOT EXISTS view_links (
        page_id TEXT NOT NULL,
        relation TEXT NOT NULL,
        target_slug TEXT NOT NULL,
        target_title TEXT NOT NULL,
        PRIMARY KEY (page_id, relation, target_slug)
    )""",
    "CREATE INDEX IF NOT EXISTS view_links_target ON view_links (target_slug)",
    """CREATE TABLE IF NOT EXISTS view_authors (
        author_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        verification TEXT,
        roles TEXT NOT NULL,
        blocked INTEGER NOT NULL,
        registered_at TEXT NOT NULL
    )""",
    # The audit log: every event of every aggregate, one row each, in log order. Only
    # metadata: who, when, what, on which page or author; never a page's text.
    # `page_title` is the page's title after the event; `author_key` the signer's name
    # case-folded (filtering by name); `details` a few fields of the event's data (JSON).
    """CREATE TABLE IF NOT EXISTS view_audit (
        position BIGINT PRIMARY KEY,
        type TEXT NOT NULL,
        aggregate_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        author_id TEXT NOT NULL,
        author_name TEXT NOT NULL,
        author_key TEXT NOT NULL,
        signed_at TEXT NOT NULL,
        summary TEXT NOT NULL,
        page_id TEXT,
        page_title TEXT,
        target_id TEXT,
        target_name TEXT,
        details TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS view_audit_author ON view_audit (author_id, position)",
    "CREATE INDEX IF NOT EXISTS view_audit_author_key ON view_audit (author_key, position)",
    "CREATE INDEX IF NOT EXISTS view_audit_page ON view_audit (page_id, position)",
    "CREATE INDEX IF NOT EXISTS view_audit_target ON view_audit (target_id, position)",
    "CREATE INDEX IF NOT EXISTS view_audit_type ON view_audit (type, position)",
    "CREATE INDEX IF NOT EXISTS view_audit_signed_at ON view_audit (signed_at)",
)

DROP_STATEMENTS = tuple(f"DROP TABLE IF EXISTS {table}" for table in TABLES)
