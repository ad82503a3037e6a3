"""The read-only JSON API (`/api/v1`), the signed export and the published signing keys."""

from collections.abc import Iterator

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from storage.eventlog import export_log
from web.reading import current_page, find_page, wiki_of
from wikiengine.application import Wiki
from wikiengine.keyring import keys_document

EXPORT_CHUNK_BYTES = 64 * 1024


def page(request: Request) -> Response:
    """`GET /api/v1/pages/{title}`: the current page; an old title answers for the new one."""
    title = request.path_params["title"]
    found = find_page(wiki_of(request), title)
    document = current_page(found).as_json()
    if title != found.slug:
        document["redirected_from"] = title
    return JSONResponse(document)


def export(request: Request) -> Response:
    """`GET /api/v1/export`: the signed log as JSON lines, read from the store as sent."""
    return StreamingResponse(
        export_chunks(wiki_of(request)),
        media_type="application/x-ndjson",
        headers={"Cache-Control": "no-store"},
    )


def export_chunks(wiki: Wiki) -> Iterator[bytes]:
    """Export lines gathered into chunks, so a large log is not one thread hop per line."""
    buffer: list[bytes] = []
    size = 0
    for line in export_log(wiki):
        encoded = line.encode("utf-8") + b"\n"
        buffer.append(encoded)
        size += len(encoded)
        if size >= EXPORT_CHUNK_BYTES:
            yield b"".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield b"".join(buffer)


def signing_keys(request: Request) -> Response:
    """`GET /.well-known/wiki-signing-keys.json`: the keys signatures are checked with."""
    return JSONResponse(keys_document(wiki_of(request).published_keys()))


ROUTES: list[BaseRoute] = [
    Route("/api/v1/pages/{title:path}", page, methods=["GET"], name="api_page"),
    Route("/api/v1/export", export, methods=["GET"], name="api_export"),
    Route(
        "/.well-known/wiki-signing-keys.json", signing_keys, methods=["GET"], name="signing_keys"
    ),
]
