"""The one renderer: safe HTML, every markdown feature we offer, the outgoing wiki links,
the table of contents, and red links marked at read time."""

import re
import threading
import time
from pathlib import Path

import pytest

from wikiengine.markup import (
    Rendering,
    TocEntry,
    WikiLink,
    mark_missing_links,
    page_path,
    render,
)


def html_of(markdown: str) -> str:
    return render(markdown).html


def slugs_of(markdown: str) -> list[str]:
    return [link.slug for link in render(markdown).links]


# ---------------------------------------------------------------------- XSS


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert(1)</script>",
        "Tekst <script>alert(1)</script> midt i",
        '<img src=x onerror="alert(1)">',
        "Tekst <img src=x onerror=alert(1)> midt i",
        '<a href="javascript:alert(1)">klik</a>',
        "<svg onload=alert(1)>",
        "<iframe src=//evil.example></iframe>",
        '<div style="background:url(javascript:alert(1))">x</div>',
    ],
)
def test_raw_html_is_shown_as_text(markdown: str) -> None:
    html = html_of(markdown)

    assert not re.search(r"<(script|img|svg|iframe|div)\b", html)
    assert not re.search(r"<a\b", html)
    assert "&lt;" in html  # the reader sees what was written


@pytest.mark.parametrize(
    "markdown",
    [
        "[klik](javascript:alert(1))",
        "[klik](JaVaScRiPt:alert(1))",
        "[klik](java%0ascript:alert(1))",
        "[klik](  javascript:alert(1))",
        "[klik](vbscript:msgbox(1))",
        "[klik](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "![billede](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
        "![billede](javascript:alert(1))",
        "<javascript:alert(1)>",
        "[klik][ref]\n\n[ref]: javascript:alert(1)",
    ],
)
def test_dangerous_urls_never_reach_an_attribute(markdown: str) -> None:
    html = html_of(markdown)

    for attribute in re.findall(r'(?:href|src)="([^"]*)"', html):
        assert not re.match(r"\s*(javascript|vbscript|data):", attribute, re.IGNORECASE)
    assert not re.search(r"(href|src)=\"\s*(javascript|vbscript|data):", html, re.IGNORECASE)


def test_wiki_link_targets_cannot_become_urls_or_attributes() -> None:
    html = html_of(
        '[[javascript:alert(1)]] [[data:text/html,<b>x</b>]] [[x" onmouseover="alert(1)]]'
    )

    assert re.findall(r"<a [^>]*>", html) == [
        '<a class="wikilink" href="/wiki/Javascript%3Aalert%281%29">',
        '<a class="wikilink" href="/wiki/X%22_onmouseover%3D%22alert%281%29">',
    ]
    assert "[[data:text/html,&lt;b&gt;x&lt;/b&gt;]]" in html  # `<` is not allowed in titles


def test_wiki_link_labels_cannot_inject_attributes_or_tags() -> None:
    html = html_of('[[Side|"><script>alert(1)</script>]] [[Side|x" onclick="alert(1)]]')

    assert "<script" not in html
    assert not re.search(r"<a [^>]*onclick", html)
    assert '<a class="wikilink" href="/wiki/Side">"&gt;&lt;script&gt;' in html
    assert '<a class="wikilink" href="/wiki/Side">x" onclick="alert(1)</a>' in html


@pytest.mark.parametrize(
    "markdown",
    [
        "[se [[Side]]](https://example.dk)",
        "[se [[Side|her]] og [mere](/x)](https://example.dk)",
        "[[[Side]]](https://example.dk)",
        "[a [b](/u) [[Side]]](/v)",
        "<a href='/v'>[[Side]]</a>",
        "[ydre [indre](https://a.dk)](https://b.dk)",
    ],
)
def test_links_never_nest(markdown: str) -> None:
    html = html_of(markdown)

    depth = 0
    for tag in re.findall(r"</?a\b", html):
        depth += 1 if tag == "<a" else -1
        assert depth in (0, 1), html
    assert depth == 0


def test_a_wiki_link_inside_markdown_link_text_wins_like_an_inner_link() -> None:
    rendering = render("[se [[Side]]](https://example.dk)")

    assert '[se <a class="wikilink" href="/wiki/Side">Side</a>]' in rendering.html
    assert rendering.links == (WikiLink(slug="Side", title="Side"),)


def test_the_sanitiser_catches_what_a_faulty_plugin_might_emit() -> None:
    from wikiengine.markup import _SANITISER

    html = _SANITISER.clean(
        '<a class="wikilink missing evil" href="javascript:alert(1)" rel="opener" '
        'onclick="x" style="color:red">a</a><td style="text-align:right" class="x">b</td>'
        '<input type="text" class="task-list-item-checkbox" value="x"><script>c</script>'
        '<h2 id="h-a" onmouseover="x">d</h2>'
    )

    assert html == (
        '<a class="wikilink">a</a>b<input class="task-list-item-checkbox"><h2 id="h-a">d</h2>'
    )


# ---------------------------------------------------------------------- features


def test_table_alignment_is_a_class_not_a_style() -> None:
    html = html_of("| Venstre | Midt | Højre | Ingen |\n|:--|:-:|--:|---|\n| 1 | 2 | 3 | 4 |\n")

    assert '<th class="align-left">Venstre</th>' in html
    assert '<th class="align-center">Midt</th>' in html
    assert '<th class="align-right">Højre</th>' in html
    assert "<th>Ingen</th>" in html
    assert '<td class="align-left">1</td>' in html
    assert '<td class="align-center">2</td>' in html
    assert '<td class="align-right">3</td>' in html
    assert "<td>4</td>" in html
    assert "style" not in html


def test_alignment_classes_are_in_the_stylesheet() -> None:
    css = (Path(__file__).resolve().parent.parent / "web/static/style.css").read_text()
    for align in ("left", "center", "right"):
        assert f".align-{align} {{ text-align: {align}; }}" in css


def test_strikethrough() -> None:
    assert "<del>forældet</del>" in html_of("Det er ~~forældet~~.")


def test_footnotes_link_both_ways() -> None:
    html = html_of("Påstand[^kilde].\n\n[^kilde]: Kommunens rapport.\n")

    assert '<sup class="footnote-ref" id="fnref-1"><a href="#fn-1">1</a></sup>' in html
    assert '<section class="footnotes">' in html
    assert '<li id="fn-1"><p>Kommunens rapport.<a href="#fnref-1" class="footnote">' in html


def test_task_lists_are_disabled_checkboxes() -> None:
    html = html_of("- [ ] Ring til borgerservice\n- [x] Send referat\n")

    assert html.count('<li class="task-list-item">') == 2
    assert '<input class="task-list-item-checkbox" type="checkbox" disabled="">Ring til' in html
    assert '<input class="task-list-item-checkbox" type="checkbox" disabled="" checked="">' in html


def test_bare_urls_become_links() -> None:
    html = html_of("Se https://aarhus.dk/borger og <https://kk.dk>.")

    assert '<a href="https://aarhus.dk/borger" rel="nofollow ugc noopener">' in html
    assert '<a href="https://kk.dk" rel="nofollow ugc noopener">https://kk.dk</a>' in html


def test_headings_get_prefixed_ids_and_levels_2_and_3_make_the_toc() -> None:
    rendering = render(
        "# Indledning\n\n## Effekt\n\ntekst\n\n### Økonomi\n\n#### Detaljer\n\n## Effekt\n\n"
        "## Effekt 2\n\n## Effekt\n"
    )

    assert '<h1 id="h-indledning">Indledning</h1>' in rendering.html
    assert '<h2 id="h-effekt">Effekt</h2>' in rendering.html
    assert '<h4 id="h-detaljer">Detaljer</h4>' in rendering.html
    assert rendering.toc == (
        TocEntry(level=2, id="h-effekt", text="Effekt"),
        TocEntry(level=3, id="h-oekonomi", text="Økonomi"),
        TocEntry(level=2, id="h-effekt-2", text="Effekt"),
        TocEntry(level=2, id="h-effekt-2-2", text="Effekt 2"),
        TocEntry(level=2, id="h-effekt-3", text="Effekt"),
    )
    ids = re.findall(r' id="([^"]*)"', rendering.html)
    assert len(ids) == len(set(ids))


def test_danish_headings_get_readable_ids_and_plain_text_in_the_toc() -> None:
    rendering = render(
        "## Æbler, pærer & blåbær i Århus\n\n"
        "## Café-idéer *med* `kode` og [[Tillid først|tillid]][^1]\n\n"
        "## ???\n\n"
        "Setext-overskrift\n-----------------\n\n"
        "[^1]: Note.\n"
    )

    assert [(entry.id, entry.text) for entry in rendering.toc] == [
        ("h-aebler-paerer-blaabaer-i-aarhus", "Æbler, pærer & blåbær i Århus"),
        ("h-cafe-ideer-med-kode-og-tillid", "Café-idéer med kode og tillid"),
        ("h-afsnit", "???"),
        ("h-setext-overskrift", "Setext-overskrift"),
    ]
    assert '<h2 id="h-aebler-paerer-blaabaer-i-aarhus">' in rendering.html


def test_page_without_headings_has_an_empty_toc() -> None:
    assert render("Bare tekst.").toc == ()
    assert render("") == Rendering(html="", toc=(), links=())


# ---------------------------------------------------------------------- collected links


def test_links_are_collected_in_order_of_first_appearance_without_duplicates() -> None:
    rendering = render(
        "[[Tillid først]] og [[Borgerservice|service]], igen [[tillid_først|tillid]] "
        "og [[ tillid   først ]].\n\n## Om [[Århus]]\n\n- [[Borgerservice]]\n- [[Kodeks]]\n"
    )

    assert rendering.links == (
        WikiLink(slug="Tillid_først", title="Tillid først"),
        WikiLink(slug="Borgerservice", title="Borgerservice"),
        WikiLink(slug="Århus", title="Århus"),
        WikiLink(slug="Kodeks", title="Kodeks"),
    )


def test_links_in_headings_tables_and_footnotes_are_collected_in_document_order() -> None:
    markdown = (
        "Før [[A]].[^n]\n\n## Overskrift [[B]]\n\n| [[C]] |\n|---|\n| [[D]] |\n\n"
        "[^n]: Note om [[E]].\n"
    )

    assert slugs_of(markdown) == ["A", "B", "C", "D", "E"]


def test_links_inside_code_are_not_links() -> None:
    markdown = "Brug `[[Kode]]` sådan.\n\n```\n[[Blok]]\n```\n\n    [[Indrykket]]\n\n[[Ægte]]"
    rendering = render(markdown)

    assert [link.slug for link in rendering.links] == ["Ægte"]
    assert "<code>[[Kode]]</code>" in rendering.html
    assert "[[Blok]]" in rendering.html and "[[Indrykket]]" in rendering.html


def test_label_form_shows_the_label_and_links_to_the_target() -> None:
    rendering = render("[[innovation i århus|Læs mere]]")

    assert rendering.html == (
        '<p><a class="wikilink" href="/wiki/Innovation_i_%C3%A5rhus">Læs mere</a></p>\n'
    )
    assert rendering.links == (WikiLink(slug="Innovation_i_århus", title="Innovation i århus"),)


def test_without_a_label_the_target_is_shown_as_written() -> None:
    html = html_of("[[idéstorme_i Århus]]")

    assert '<a class="wikilink" href="/wiki/Id%C3%A9storme_i_%C3%85rhus">idéstorme_i Århus</a>' in (
        html
    )


@pytest.mark.parametrize(
    "markdown",
    ["[[a#b]]", "[[ ]]", "[[/etc/passwd]]", "[[..]]", "[[<b>]]", "[[a{b}]]", "[[Side|]]"],
)
def test_invalid_titles_stay_text(markdown: str) -> None:
    rendering = render(markdown)

    assert rendering.links == ()
    assert "<a" not in rendering.html
    assert "[[" in rendering.html


def test_link_paths_match_page_path() -> None:
    for title in ("Tillid først", "Innovation i Århus", "C++ & co?", "50% mere"):
        html = html_of(f"[[{title}]]")
        assert f'href="{page_path(title)}"' in html


# ---------------------------------------------------------------------- rel


def test_internal_links_have_no_rel_and_external_links_are_nofollow() -> None:
    html = html_of(
        "[[Side]] [intern](/wiki/Side) [anker](#h-effekt) Note[^1] "
        "[ekstern](https://example.dk) [post](mailto:a@example.dk) [relativ](Side) "
        "[skrå](//evil.example) [bagvendt](/\\evil.example)\n\n[^1]: x\n"
    )

    assert '<a class="wikilink" href="/wiki/Side">Side</a>' in html
    assert '<a href="/wiki/Side">intern</a>' in html
    assert '<a href="#h-effekt">anker</a>' in html
    assert '<a href="#fn-1">1</a>' in html
    assert '<a href="https://example.dk" rel="nofollow ugc noopener">ekstern</a>' in html
    assert '<a href="mailto:a@example.dk" rel="nofollow ugc noopener">post</a>' in html
    assert '<a href="Side" rel="nofollow ugc noopener">relativ</a>' in html
    assert '<a href="//evil.example" rel="nofollow ugc noopener">skrå</a>' in html
    assert '<a href="/%5Cevil.example">bagvendt</a>' in html  # mistune quotes the backslash
    for anchor in re.findall(r"<a [^>]*>", html):
        internal = re.search(r'href="(#|/(?!/))', anchor)
        assert ("rel=" in anchor) != bool(internal), anchor


# ---------------------------------------------------------------------- red links


PAGE = (
    "[[Findes]] og [[Mangler]] og [[Innovation i Århus|Århus]] og [[Mangler|igen]] "
    "og [[C++ & co?]] og [[Mangler_ikke]].\n\n## Om [[Mangler]]\n\n`[[Mangler]]` "
    "og [mangler](/wiki/Mangler)\n"
)


def test_only_links_to_the_named_slugs_are_marked() -> None:
    html = html_of(PAGE)

    marked = mark_missing_links(html, {"Mangler", "Innovation_i_Århus", "C++_&_co?", "Ukendt"})

    assert re.findall(r'<a class="wikilink missing" href="/wiki/([^"]*)">', marked) == [
        "Mangler",
        "Innovation_i_%C3%85rhus",
        "Mangler",
        "C%2B%2B_%26_co%3F",
        "Mangler",
    ]
    assert '<a class="wikilink" href="/wiki/Findes">Findes</a>' in marked
    assert '<a class="wikilink" href="/wiki/Mangler_ikke">Mangler_ikke</a>' in marked
    assert "<code>[[Mangler]]</code>" in marked
    assert '<a href="/wiki/Mangler">mangler</a>' in marked  # a markdown link is no wiki link


def test_marking_changes_nothing_but_the_class() -> None:
    html = html_of(PAGE)

    marked = mark_missing_links(html, {"Mangler", "Innovation_i_Århus", "C++_&_co?"})

    assert marked.replace('class="wikilink missing"', 'class="wikilink"') == html
    assert mark_missing_links(html, set()) == html
    assert mark_missing_links(html, {"Ukendt"}) == html
    assert mark_missing_links(html, ["Findes"]).count("missing") == 1


def test_raw_html_that_looks_like_a_wiki_link_is_never_marked() -> None:
    html = html_of(
        '<a class="wikilink" href="/wiki/Mangler">falsk</a>\n\n'
        '`<a class="wikilink" href="/wiki/Mangler">`\n\n'
        '```html\n<a class="wikilink" href="/wiki/Mangler">\n```\n'
    )

    assert mark_missing_links(html, {"Mangler"}) == html


def test_marking_a_large_page_is_fast() -> None:
    body = "\n\n".join(f"Afsnit {n} om [[Side {n}]] og [[Side {n + 1}|næste]]." for n in range(100))
    html = html_of(body)
    missing = {f"Side_{n}" for n in range(0, 200, 3)}
    assert html.count('class="wikilink"') == 200

    start = time.perf_counter()
    for _ in range(20):
        marked = mark_missing_links(html, missing)
    per_call = (time.perf_counter() - start) / 20

    assert marked.count("wikilink missing") == sum(1 for n in range(100) if n % 3 == 0) + sum(
        1 for n in range(1, 101) if n % 3 == 0
    )
    assert per_call < 0.005  # about 0.1 ms here; generous for slow CI machines


# ---------------------------------------------------------------------- threads


def test_one_renderer_serves_many_threads() -> None:
    def page(n: int) -> str:
        return (
            f"## Afsnit {n}\n\n[[Side {n}]] og [[Fælles]]\n\n## Afsnit {n}\n\n[^a]\n\n[^a]: {n}\n"
        )

    expected = {n: render(page(n)) for n in range(16)}
    failures: list[int] = []

    def work(n: int) -> None:
        for _ in range(25):
            if render(page(n)) != expected[n]:
                failures.append(n)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert expected[3].links == (WikiLink("Side_3", "Side 3"), WikiLink("Fælles", "Fælles"))
    assert [entry.id for entry in expected[3].toc] == ["h-afsnit-3", "h-afsnit-3-2"]
