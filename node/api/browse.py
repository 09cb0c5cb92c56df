"""What the web console reads of a channel beside the API's own reads: pages of blocks, a deployed
contract's explain document, and the channel's recent activity.

    GET /api/v1/channels/{ch}/blocks?before=N&limit=K
        {"height", "blocks": [{"number", "id", "time", "transactions", "codes": {code name: n}}],
         "next": N | null}
    GET /api/v1/channels/{ch}/contracts/{name}/explain?lang=en|zh[&version=V]      text/html
    GET /api/v1/channels/{ch}/activity?minutes=M
        {"buckets": [{"start", "blocks", "transactions", "codes", "commit_latency_ms"}], "bucket_ms"}

Blocks, newest first: ``limit`` (1 to `PAGE_MAX`, default `PAGE_DEFAULT`) blocks below
``before`` (default: the height; a larger one counts as the height), each read by number, its
header and commit record only (`node.chain.store.BlockStore.summaries`): a page costs the same
at block 10 and at block 10,000,000. ``next`` is the ``before`` of the next page, null after
block 0.

Explain: the document `baochain explain --format html --lang L` renders (`dsl.explain`) for the
source the contract's deploy carried, of the version in force or ``version``; 404
``no_source`` when that deploy carried a built module only (no source to explain). The app keeps
the documents it rendered by (source hash, language): a deployed source never changes.

Activity: the channel's `node.chain.activity.Activity` ring, the last ``minutes`` (1 to 60,
default 10) in buckets of `node.chain.activity.BUCKET_MS`, oldest first, empty ones included.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from dsl.explain.render import ExplainError, explain_file, render
from node.api import schemas as S
from node.api import views
from node.api.deps import ChannelRequest, counter
from node.api.errors import ApiError, bad_request
from node.chain.activity import BUCKET_MS, WINDOW_MINUTES
from node.tx.clock import now_ms
from node.tx.proposal import Deploy

PAGE_DEFAULT = 20
PAGE_MAX = 100
ACTIVITY_DEFAULT_MINUTES = 10
LANGUAGES = ("en", "zh")
_DOCUMENTS_KEPT = 32

router = APIRouter()


@router.get("/api/v1/channels/{ch}/blocks", response_model=S.BlockPage, responses=S.ERRORS, tags=["channels"])
async def blocks(a: ChannelRequest, before: str | None = None, limit: str | None = None) -> dict[str, Any]:
    """A page of blocks, newest first: header and validation codes, not the transactions."""
    height = a.channel.height()
    size = PAGE_DEFAULT if limit is None else counter(limit, "limit", f"a number of blocks, 1 to {PAGE_MAX}")
    if not 1 <= size <= PAGE_MAX:
        raise bad_request("limit", f"expected 1 to {PAGE_MAX} blocks, got {size}")
    top = height if before is None else min(counter(before, "before", "a block number"), height)
    rows = []
    for summary in a.channel.blocks.summaries(top, size):
        codes: dict[str, int] = {}
        for code in summary.record.codes:
            codes[code.name] = codes.get(code.name, 0) + 1
        rows.append({"number": summary.header.number, "id": summary.record.id.hex(), "time": summary.header.time_ms,
                     "transactions": len(summary.record.codes), "codes": codes})
    bottom = max(top - size, 0)
    return {"height": height, "blocks": rows, "next": bottom if bottom > 0 else None}


# The document is HTML; a refusal is the API's JSON, as everywhere.
_HTML_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {**spec, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
    for status, spec in S.ERRORS.items()}


@router.get("/api/v1/channels/{ch}/contracts/{name}/explain", response_class=HTMLResponse, tags=["contracts"],
            responses={**_HTML_ERRORS, 200: {"content": {"text/html": {"schema": {"type": "string"}}},
                                         "description": "the contract's explain document (baochain explain)"}})
async def explain(request: Request, a: ChannelRequest, name: str, lang: str = "en",
                  version: str | None = None) -> HTMLResponse:
    """The contract's document for business readers, as `baochain explain` renders it."""
    if lang not in LANGUAGES:
        raise bad_request("lang", f"expected one of {', '.join(LANGUAGES)}, got {lang[:20]!r}")
    record = a.channel.contract(name)
    if record is None:
        raise ApiError(404, "unknown-contract", f"no contract named {name!r} is deployed on {a.name!r}")
    wanted = record.version if version is None else version
    deployed = [(v, b) for v, _, b in record.history if v == wanted]
    if not deployed:
        known = ", ".join(v for v, _, _ in record.history)
        raise ApiError(404, "unknown-version", f"{name} has had no version {wanted!r} (it has had: {known})")
    found = views.deploy_of(a.channel, name, *deployed[-1])
    action = None if found is None else found[1].action
    if not isinstance(action, Deploy) or action.source is None:
        raise ApiError(404, "no_source", f"the deploy of {name} version {wanted} carried a built module, not its "
                       "source: there is no source to explain")
    kept: OrderedDict[tuple[str, str], str] = request.app.state.__dict__.setdefault("explain_documents",
                                                                                   OrderedDict())
    return HTMLResponse(_document(kept, name, action.source, lang), media_type="text/html; charset=utf-8")


@router.get("/api/v1/channels/{ch}/activity", response_model=S.Activity, responses=S.ERRORS, tags=["channels"])
async def activity(a: ChannelRequest, minutes: str | None = None) -> dict[str, Any]:
    """Blocks, transactions, validation codes and commit latency of the last minutes, in buckets."""
    span = ACTIVITY_DEFAULT_MINUTES if minutes is None else counter(minutes, "minutes", f"1 to {WINDOW_MINUTES}")
    if not 1 <= span <= WINDOW_MINUTES:
        raise bad_request("minutes", f"expected 1 to {WINDOW_MINUTES} minutes, got {span}")
    return {"buckets": a.channel.activity.buckets(span * 60_000, now_ms()), "bucket_ms": BUCKET_MS}


def _document(kept: OrderedDict[tuple[str, str], str], name: str, source: str, lang: str) -> str:
    """The HTML document of ``source``, rendered once per (source, language) and ``kept`` (the
    app's, at most `_DOCUMENTS_KEPT`, the least recently asked for leaving first)."""
    key = (hashlib.sha256(source.encode("utf-8")).hexdigest(), lang)
    text = kept.get(key)
    if text is not None:
        kept.move_to_end(key)
        return text
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{name}.bao"  # explain reads a file, and names the contract by it
        path.write_text(source, encoding="utf-8")
        try:
            text = render(explain_file(path, lang).document, "html")
        except ExplainError as exc:  # it compiled when deployed: a later compiler may refuse it
            raise ApiError(422, "unexplainable", f"this node's explain cannot read the deployed source of "
                           f"{name}:\n{exc}") from None
    kept[key] = text
    if len(kept) > _DOCUMENTS_KEPT:
        kept.popitem(last=False)
    return text
