"""`node.api.direct.DirectRoute`: FastAPI documents the route from its declaration, and the
endpoint answers the request itself (path parameters by name, its own Response)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from node.api.direct import DirectRoute


class Answer(BaseModel):
    channel: str
    item: str


def app_with(endpoint: Callable[..., Any], path: str = "/channels/{ch}/items/{item}") -> FastAPI:
    app = FastAPI()
    app.router.add_api_route(path, endpoint, methods=["POST"], route_class_override=DirectRoute, status_code=202,
                             response_model=Answer, tags=["items"])
    return app


def call(app: FastAPI, path: str) -> httpx.Response:
    async def post() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            return await client.post(path, content=b"body")

    return asyncio.run(post())


def test_the_endpoint_gets_the_path_parameters_by_name_and_answers_with_its_own_response() -> None:
    seen = {}

    async def endpoint(request: Request, ch: str, item: str) -> Response:
        seen["body"] = await request.body()
        return JSONResponse({"channel": ch, "item": item}, status_code=202, headers={"X-Own": "yes"})

    answer = call(app_with(endpoint), "/channels/main/items/7")
    assert (answer.status_code, answer.json(), answer.headers["x-own"]) == (202, {"channel": "main", "item": "7"},
                                                                            "yes")
    assert seen["body"] == b"body"


def test_fastapi_describes_the_route_from_its_declaration() -> None:
    async def endpoint(request: Request, ch: str, item: str) -> Response:
        """Make an item."""
        return Response(status_code=202)

    operation = app_with(endpoint).openapi()["paths"]["/channels/{ch}/items/{item}"]["post"]
    assert [(p["name"], p["in"], p["required"]) for p in operation["parameters"]] == [
        ("ch", "path", True), ("item", "path", True)]
    assert operation["responses"]["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Answer"}
    assert (operation["description"], operation["tags"]) == ("Make an item.", ["items"])


@pytest.mark.parametrize("parameters", ["request", "request, item, ch", "request, ch, item, extra=None",
                                        "ch, item"])
def test_an_endpoint_that_would_not_be_filled_in_is_refused_when_the_route_is_made(parameters: str) -> None:
    namespace: dict = {}
    exec(f"async def endpoint({parameters}): pass", namespace)
    with pytest.raises(TypeError, match=r"/channels/\{ch\}/items/\{item\}: a DirectRoute's endpoint takes "
                                        r"request, ch, item; endpoint takes"):
        app_with(namespace["endpoint"])


def test_an_endpoint_that_returns_no_response_fails_loudly() -> None:
    async def endpoint(request: Request, ch: str, item: str) -> dict:
        return {"channel": ch, "item": item}

    with pytest.raises(TypeError, match="returns a Response, not dict"):
        call(app_with(endpoint), "/channels/main/items/7")
