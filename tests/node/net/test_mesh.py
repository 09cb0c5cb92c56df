"""Meshes on 127.0.0.1 with ephemeral ports: delivery in order, one link per pair, reconnects."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest

from node.net import LinkClosed, Mesh, Peer, UnknownPeer

from .conftest import FAST, Inbox, Pki, make_mesh, node_name, peer_of, run, started, wait_until

pytestmark = pytest.mark.filterwarnings("error")


def test_two_meshes_deliver_both_ways_in_order_over_one_link(pki: Pki) -> None:
    async def main() -> None:
        inboxes: dict[str, Inbox] = {}
        one, two = await started(pki, ("Org1", "Org2"), inboxes)
        try:
            assert one.port != 0 and two.address == ("127.0.0.1", two.port)
            for i in range(1000):  # queued before the link is even up
                if i % 2:
                    assert one.send_nowait(two.name, {"type": "x", "i": i})
                else:
                    await one.send(two.name, {"type": "x", "i": i})
                assert two.send_nowait(one.name, {"type": "y", "i": i, "data": bytes(i % 50)})
            await inboxes["Org2"].wait_for(1000)
            await inboxes["Org1"].wait_for(1000)
            assert [m["i"] for m in inboxes["Org2"].from_(one.name)] == list(range(1000))
            assert [m["i"] for m in inboxes["Org1"].from_(two.name)] == list(range(1000))
            assert one.connected(two.name) and two.connected(one.name)
            # The lower name dialled; each side saw exactly one link.
            assert one.stats(two.name).connects == two.stats(one.name).connects == 1
            assert one._peers[two.name].link.direction == "dialled"  # type: ignore[union-attr]
            assert two._peers[one.name].link.direction == "accepted"  # type: ignore[union-attr]
        finally:
            await one.close()
            await two.close()

    run(main)


def test_three_meshes_broadcast_to_each_other(pki: Pki) -> None:
    async def main() -> None:
        inboxes: dict[str, Inbox] = {}
        meshes = await started(pki, ("Org1", "Org2", "Org3"), inboxes)
        try:
            for i in range(200):
                for mesh in meshes:
                    others = [m.name for m in meshes if m is not mesh]
                    assert mesh.broadcast(others, {"type": "prepare", "from": mesh.name, "i": i}) == []
            for inbox in inboxes.values():
                await inbox.wait_for(400)
            for mesh in meshes:
                inbox = inboxes[mesh.org]
                for other in meshes:
                    if other is not mesh:
                        assert [m["i"] for m in inbox.from_(other.name)] == list(range(200))
                        assert {m["from"] for m in inbox.from_(other.name)} == {other.name}
                        assert mesh.stats(other.name).connects == 1
        finally:
            for mesh in meshes:
                await mesh.close()

    run(main)


@pytest.mark.parametrize("restarted", ["the dialled peer", "the dialling peer"])
def test_a_link_comes_back_after_a_peer_restarts_and_queued_frames_follow(pki: Pki, restarted: str) -> None:
    async def main() -> None:
        inboxes: dict[str, Inbox] = {}
        one, two = await started(pki, ("Org1", "Org2"), inboxes)  # one (the lower name) dials two
        stays, goes = (one, two) if restarted == "the dialled peer" else (two, one)
        try:
            stays.send_nowait(goes.name, {"type": "x", "i": 0})
            await inboxes[goes.org].wait_for(1)
            port = goes.port
            await goes.close()
            await wait_until(lambda: not stays.connected(goes.name))
            for i in range(1, 6):  # queued while the peer is down
                assert stays.send_nowait(goes.name, {"type": "x", "i": i})
            back = inboxes[goes.org] = Inbox()
            goes = make_mesh(pki, goes.org, [peer_of(stays)], back, port=port)
            await goes.start()
            await back.wait_for(5)
            assert [m["i"] for m in back.from_(stays.name)] == [1, 2, 3, 4, 5]
            await wait_until(lambda: goes.connected(stays.name) and stays.connected(goes.name))
            assert stays.stats(goes.name).connects == 2
            goes.send_nowait(stays.name, {"type": "y"})
            await inboxes[stays.org].wait_for(1, goes.name)
        finally:
            await stays.close()
            await goes.close()

    run(main)


def test_an_awaited_send_waits_for_room_and_a_removed_peer_releases_it(pki: Pki) -> None:
    async def main() -> None:
        settings = replace(FAST, send_queue_frames=2)
        mesh = make_mesh(pki, "Org1", [], Inbox(), settings=settings)
        await mesh.start()
        try:
            absent = Peer(node_name("Org2"), "Org2", "127.0.0.1", 9)  # nobody listens there
            mesh.add_peer(absent)
            assert mesh.send_nowait(absent.name, {"type": "x"}) and mesh.send_nowait(absent.name, {"type": "x"})
            assert not mesh.send_nowait(absent.name, {"type": "x"})
            assert mesh.stats(absent.name).refused == 1
            waiting = asyncio.create_task(mesh.send(absent.name, {"type": "x"}))
            await asyncio.sleep(0.1)
            assert not waiting.done()
            await mesh.remove_peer(absent.name)
            with pytest.raises(LinkClosed):
                await waiting
            with pytest.raises(UnknownPeer):
                mesh.send_nowait(absent.name, {"type": "x"})
        finally:
            await mesh.close()

    run(main)


def test_a_handler_that_fails_costs_its_message_not_the_link(pki: Pki) -> None:
    async def main() -> None:
        seen: list[int] = []

        async def fragile(peer: str, org: str, message: dict[str, Any]) -> None:
            if message["i"] == 1:
                raise RuntimeError("handler bug")
            seen.append(message["i"])

        one = make_mesh(pki, "Org1", [], Inbox())
        two = make_mesh(pki, "Org2", [], fragile)
        for mesh in (one, two):
            await mesh.start()
        one.add_peer(peer_of(two))
        two.add_peer(peer_of(one))
        try:
            for i in range(3):
                one.send_nowait(two.name, {"type": "x", "i": i})
            await wait_until(lambda: seen == [0, 2])
            assert two.stats(one.name).connects == 1 and two.connected(one.name)
        finally:
            await one.close()
            await two.close()

    run(main)


def test_mesh_refuses_itself_twice_known_peers_and_a_second_start(pki: Pki) -> None:
    async def main() -> None:
        async with make_mesh(pki, "Org1", [], Inbox()) as mesh:
            with pytest.raises(ValueError, match="own name"):
                mesh.add_peer(peer_of(mesh))
            other = Peer(node_name("Org2"), "Org2", "127.0.0.1", 9)
            mesh.add_peer(other)
            with pytest.raises(ValueError, match="already known"):
                mesh.add_peer(other)
            with pytest.raises(RuntimeError):
                await mesh.start()
        assert isinstance(mesh, Mesh)

    run(main)


def test_on_connected_is_told_of_every_link_that_comes_up(pki: Pki) -> None:
    async def main() -> None:
        ups: dict[str, list[str]] = {"Org1": [], "Org2": []}
        meshes = {org: Mesh(node_name(org), org, pki.contexts(org), [], Inbox(), settings=FAST,
                            on_connected=ups[org].append) for org in ups}
        one, two = meshes["Org1"], meshes["Org2"]
        await one.start()
        await two.start()
        one.add_peer(peer_of(two))
        two.add_peer(peer_of(one))
        try:
            await wait_until(lambda: ups["Org1"] == [two.name] and ups["Org2"] == [one.name])
            port = two.port
            await two.close()
            two = Mesh(two.name, two.org, pki.contexts("Org2"), [peer_of(one)], Inbox(), settings=FAST,
                       listen=("127.0.0.1", port), on_connected=ups["Org2"].append)
            await two.start()
            await wait_until(lambda: ups["Org1"] == [two.name] * 2 and ups["Org2"] == [one.name] * 2)
        finally:
            await one.close()
            await two.close()

    run(main)


def test_links_come_up_at_the_first_try_on_the_nodes_event_loop(pki: Pki) -> None:
    # The node runs on uvloop where installed (node.daemon.main.run_on_node_loop). Upgrading an accepted
    # stream with start_tls lost the ClientHello its reader took in first, on most links under
    # uvloop: each then waited out its handshake timeout, so a link needed a second dial.
    from node.daemon.main import run_on_node_loop

    async def main() -> None:
        inboxes: dict[str, Inbox] = {}
        settings = replace(FAST, handshake_timeout=10.0)  # a lost hello would cost this much
        meshes = await started(pki, ("Org1", "Org2", "Org3"), inboxes, settings=settings)
        try:
            for mesh in meshes:
                assert mesh.broadcast([m.name for m in meshes if m is not mesh], {"type": "x", "from": mesh.name}) == []
            for inbox in inboxes.values():
                await inbox.wait_for(2, timeout=3.0)
            for mesh in meshes:
                assert all(mesh.stats(other.name).connects == 1 for other in meshes if other is not mesh)
        finally:
            for mesh in meshes:
                await mesh.close()

    run_on_node_loop(main())
