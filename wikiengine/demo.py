"""The Danish demo wiki, written from COI's 2014 action plan (`wikiengine serve --demo`).

The pages ship inside the package (`demo_pages/*.md`) and are written by a named,
verified demo author through the ordinary signed `save_page` path, so the demo's history
verifies like any other. Loading is a no-op when the wiki already has pages.
"""

from importlib.resources import files

from wikiengine.application import Wiki
from wikiengine.attribution import OPERATOR

DEMO_AUTHOR = "Demo-redaktionen (Maja Sørensen)"
SOURCE = "COI's handlingsplan 2014"
FRONT_PAGE = "Forside"

# (file, title) in the order they are written; the front page comes first and gets a
# second revision at the end that links to the others, so the demo has some history.
DEMO_PAGES = (
    ("forside.md", FRONT_PAGE),
    ("offentlig-innovation.md", "Offentlig innovation"),
    ("kvalificering.md", "Kvalificering af innovative tiltag"),
    ("styringslaboratorier.md", "Styringslaboratorier 2014–2015"),  # noqa: RUF001 (en dash)
    ("idestorme-aarhus.md", "Idéstorme i Aarhus Kommune"),
    ("tillid-og-dialog.md", "Byg samarbejdet på tillid og dialog"),
    ("kompetencer.md", "Brug innovationskompetencerne efter uddannelsen"),
    ("snuptagsloesninger.md", "Politikere og snuptagsløsninger"),
    ("innovationskultur.md", "En kultur hvor innovation trives"),
)
FRONT_PAGE_ADDITION = "forside-eksempler.md"


def demo_text(name: str) -> str:
    return (files("wikiengine") / "demo_pages" / name).read_text(encoding="utf-8")


def load_demo(wiki: Wiki) -> bool:
    """Write the demo wiki if the store has no pages; True when it was written."""
    if next(wiki.page_ids(), None) is not None:
        return False
    author = wiki.register_author(DEMO_AUTHOR)
    wiki.verify_author(OPERATOR, author)
    for name, title in DEMO_PAGES:
        wiki.save_page(author, title, demo_text(name), summary=f"Demoside skrevet ud fra {SOURCE}")
    front = wiki.page_by_title(FRONT_PAGE)
    wiki.save_page(
        author,
        FRONT_PAGE,
        front.body + demo_text(FRONT_PAGE_ADDITION),
        summary="Tilføjede links til eksemplerne",
        base_version=front.version,
    )
    return True
