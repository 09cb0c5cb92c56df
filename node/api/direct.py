"""`DirectRoute`: a FastAPI route that FastAPI describes but does not drive, for the hot paths.

FastAPI serves a route by solving its parameters and dependencies from the request, running the
endpoint, then validating what it returned against the response model and serialising it: about
65 µs of CPU per request before and after the endpoint's own work (measured in a bare app, a
path parameter, one dependency and a one-field model), where a Starlette route costs about 12.
For most routes that is nothing beside their work. ``POST .../submit`` spends about 180 µs
besides its four signature checks when served directly (in process, ordering left out), so the
driver was about a fifth of it; and a network under load submits every transaction through it
(bench/cluster.py). The block routes (``GET .../blocks/{ref}`` and its ``/codes``) are too: every
client that follows the chain reads each block there, and the model's validation of a block's view
(150 transactions: 0.67 ms with its JSON, against 0.49 ms for `json.dumps` alone, a synthetic view)
was 0.7% of the cluster's samples.

A `DirectRoute` keeps everything FastAPI derives from the declaration (its OpenAPI operation: path
parameters, request body, response model, status and error answers; its place in the app's
routing, middleware and exception handlers), and replaces only the per-request driver: the
endpoint is called with the request and the path parameters as strings, by name, and returns the
`Response` itself. So the endpoint states its parameters exactly as FastAPI documents them, and
does itself what a dependency would have done (`node.api.deps.channel_request`) and what the
response model would have (a body of that shape; the API's schema tests hold each answer to it).

The endpoint's signature is checked once, when the route is made: ``request`` first, then the
path's parameters in order, nothing else (a query parameter or a dependency would silently never
be filled in).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute


class DirectRoute(APIRoute):
    """An `APIRoute` whose endpoint is ``async def f(request, *path_params) -> Response``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = self.endpoint
        names = list(inspect.signature(endpoint).parameters)
        expected = ["request", *self.param_convertors]
        if names != expected:
            raise TypeError(f"{self.path}: a DirectRoute's endpoint takes {', '.join(expected)}; "
                            f"{endpoint.__name__} takes {', '.join(names) or 'nothing'}")

        async def handle(request: Request) -> Response:
            response: Any = await endpoint(request, **request.path_params)
            if not isinstance(response, Response):
                raise TypeError(f"{self.path}: a DirectRoute's endpoint returns a Response, not "
                                f"{type(response).__name__}")
            return response

        return handle
