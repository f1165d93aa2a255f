"""A workaround for Litestar 2.x's automatic OPTIONS handler (litestar-org/litestar#4169).

Litestar builds a route per path as handlers are registered one by one; each rebuild keeps the OPTIONS
handler of the first build, whose `Allow` header lists the methods of that first build only. So
`OPTIONS /api/v1/me` answered `Allow: GET, OPTIONS` although PATCH exists (schemathesis ST205). Fixed
in Litestar 3; until then every automatic OPTIONS handler is pointed at the finished route once the
app is built.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.routes import HTTPRoute

_AUTOMATIC = "HTTPRoute.create_options_handler.<locals>.options_handler"


def point_options_at_final_routes(app: Litestar) -> int:
    """Rebind each automatic OPTIONS handler to the route that serves it; the number rebound."""
    rebound = 0
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            fn = handler.fn
            if getattr(fn, "__qualname__", "") != _AUTOMATIC or not fn.__closure__:
                continue
            cells = dict(zip(fn.__code__.co_freevars, fn.__closure__, strict=True))
            if cells["self"].cell_contents is not route:
                cells["self"].cell_contents = route
                rebound += 1
    return rebound
