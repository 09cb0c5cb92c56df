"""Every node of the network as this node sees it: ``GET /api/v1/network``, the console's
dashboard of nodes.

    {"nodes": [{"name", "org", "api": url | null, "self": bool, "reachable": bool, "error": text | null,
                "channels": {ch: {"height", "latest_block", "view", "leader", "checkpoint"}},
                "peers": [names of the nodes it has a live link to],
                "process": {"cpu_seconds", "memory_bytes", "open_files", "uptime_s"} | null,
                "links": {peer: {"sent_bytes", "received_bytes"}}}]}

This node first, then its peers by name. This node answers for itself from memory; each other
node is asked, in parallel, by this node with its own peer identity (`NodeRuntime.peer_api`,
signed as any client's request): its ``GET /api/v1/node`` and then its view of each channel
(``GET /api/v1/channels/{ch}``), at most `ASK_TIMEOUT_S` for each request. A node that does not
answer in time, or refuses, is listed ``reachable: false`` with the reason in ``error`` and
empty figures: the console raises an alert for it. Answers are kept `CACHE_S` seconds, so a
dashboard polling every second costs the other nodes one round of requests every two seconds
whatever the number of browsers. The browser asks only this node.

Who sees what: the caller must prove who it is (a signature or a session, as every channel
route; 401 otherwise); ``channels`` of every node lists only the channels this node lets the
caller read (`node.api.access.Gate.visible`), so a member of channel A learns nothing of
channel B's heights through another node. Solo channels have null ``view``, ``leader`` and
``checkpoint``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request

from node.api import schemas as S
from node.api import views
from node.api.deps import Serving, credentials, read_body
from node.api.errors import ApiError
from node.api.runtime import EndorserUnavailable, NodeRuntime, PeerReader

ASK_TIMEOUT_S = 1.5
CACHE_S = 2.0

router = APIRouter()


@dataclass(frozen=True, slots=True)
class _Answer:
    at: float  # time.monotonic() when it was asked
    node: dict[str, Any]  # everything but the caller's filtering


@router.get("/api/v1/network", response_model=S.NetworkView, responses=S.ERRORS, tags=["node"])
async def network(request: Request) -> dict[str, Any]:
    """This node and every other node it knows, each asked by this node (see node.api.network)."""
    s: Serving = request.app.state.serving
    body = await read_body(request, s.body_max_bytes)
    who = credentials(s, request, body)
    if who is None:
        raise ApiError(401, "unsigned", "sign the request, or send a session's bearer token")
    runtime = s.runtime
    readable = set(s.gate.visible(who, runtime.channels(), s.clock()))
    peers = sorted(runtime.peers(), key=lambda p: p.name)
    cache: dict[str, _Answer] = request.app.state.__dict__.setdefault("network_answers", {})
    now = time.monotonic()
    stale = [p for p in peers if p.name not in cache or now - cache[p.name].at > CACHE_S]
    if stale:
        asked = await asyncio.gather(*(_ask(runtime.peer_api, p.name, p.org, sorted(runtime.channels()))
                                       for p in stale))
        for p, answer in zip(stale, asked):
            cache[p.name] = _Answer(now, answer)
    nodes = [_self(runtime), *(cache[p.name].node for p in peers)]
    return {"nodes": [{**n, "channels": {ch: v for ch, v in n["channels"].items() if ch in readable}}
                      for n in nodes]}


def _self(runtime: NodeRuntime) -> dict[str, Any]:
    figures = runtime.metrics.process()
    consensus = runtime.consensus()
    channels = {}
    for name, channel in runtime.channels().items():
        if runtime.unavailable(name) is None:
            channels[name] = _channel(views.channel_view(channel, consensus.get(name)))
    return {"name": runtime.name, "org": runtime.org, "api": None,  # the caller is talking to it
            "self": True, "reachable": True, "error": None,
            "channels": channels, "peers": sorted(p.name for p in runtime.peers() if p.connected),
            "process": {"cpu_seconds": figures.cpu_seconds, "memory_bytes": figures.memory_bytes,
                        "open_files": figures.open_files, "uptime_s": round(figures.uptime_s, 3)},
            "links": {name: {"sent_bytes": link.sent_bytes, "received_bytes": link.received_bytes}
                      for name, link in sorted(runtime.metrics.links().items())}}


async def _ask(api: PeerReader | None, name: str, org: str, channels: list[str]) -> dict[str, Any]:
    """What node ``name`` says of itself and of ``channels`` (those of this node's it holds too)."""
    out: dict[str, Any] = {"name": name, "org": org, "api": None if api is None else api.address(name),
                           "self": False, "reachable": False, "error": None, "channels": {}, "peers": [],
                           "process": None, "links": {}}
    if api is None:
        out["error"] = "this node reaches no other node's API"
        return out
    try:
        info = await api.get(name, "/api/v1/node", ASK_TIMEOUT_S)
        held = [ch for ch in channels if ch in info["channels"]]
        shown = await asyncio.gather(*(api.get(name, f"/api/v1/channels/{ch}", ASK_TIMEOUT_S) for ch in held))
        out.update(reachable=True, channels={ch: _channel(v) for ch, v in zip(held, shown)},
                   peers=sorted(p["name"] for p in info["peers"] if p["connected"]), process=info["process"],
                   links={p["name"]: {"sent_bytes": p["link"]["sent_bytes"],
                                      "received_bytes": p["link"]["received_bytes"]}
                          for p in info["peers"] if p.get("link")})
    except EndorserUnavailable as exc:
        out["error"] = exc.reason
    except (KeyError, TypeError, AttributeError):  # another version's answer, or not the API at all
        out.update(reachable=False, channels={}, peers=[], process=None, links={},
                   error="its answer is not in the form this node's API gives")
    return out


def _channel(view: dict[str, Any]) -> dict[str, Any]:
    consensus = view["consensus"]
    return {"height": view["height"], "latest_block": view["latest_block"], "view": consensus.get("view"),
            "leader": consensus.get("leader"), "checkpoint": consensus.get("checkpoint")}
