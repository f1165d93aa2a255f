"""Make the OpenAPI spec tell the truth about errors.

Litestar documents a 400 with its own ValidationException shape and knows nothing of our guards,
idempotency or rate limit. After the spec is built (once, at start-up) this replaces every error
response with the one shape every error really has, `{code, message, detail}`, and adds the statuses
the shared layers can answer: 401/403 on guarded routes, 409 on mutating ones (Idempotency-Key), 429
where the rate limit applies, 400 for bad input on every operation.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.enums import ParamType
from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Parameter,
    Reference,
    Schema,
)
from litestar.routes import HTTPRoute

ERROR_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["code", "message", "detail"],
    properties={
        "code": Schema(type=OpenAPIType.STRING, description="stable machine-readable key, e.g. error.validation"),
        "message": Schema(type=OpenAPIType.STRING, description="for people, in the request's language (zh default)"),
        "detail": Schema(description="optional structure, e.g. [{field, source, message}] for validation errors"),
    },
    description="The one error shape of the whole API",
)

_DESCRIPTIONS = {
    400: "Bad input: the message names the field",
    401: "Not signed in, or the token expired or was revoked",
    403: "Signed in without a role this needs",
    404: "No such thing",
    409: "Conflict: the record exists or changed, or an Idempotency-Key was reused with another body",
    413: "Request body too large",
    429: "Too many requests: see Retry-After",
    503: "A provider or dependency is unavailable: try again later",
}
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
IDEMPOTENCY_KEY = Parameter(
    name="Idempotency-Key",
    param_in=ParamType.HEADER,
    required=False,
    schema=Schema(type=OpenAPIType.STRING, min_length=1, max_length=255),
    description="Optional. The same key with the same body replays the first response; with another body it is 409.",
)


def _error_response(status: int) -> OpenAPIResponse:
    return OpenAPIResponse(
        description=_DESCRIPTIONS.get(status, "Error"),
        content={"application/json": OpenAPIMediaType(schema=Reference(ref="#/components/schemas/Error"))},
    )


def document_errors(app: Litestar, rate_limited: bool) -> None:
    schema = app.openapi_schema
    if schema.components.schemas is None:
        schema.components.schemas = {}
    schema.components.schemas["Error"] = ERROR_SCHEMA
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path_format not in (schema.paths or {}):
            continue
        item = (schema.paths or {})[route.path_format]
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            guarded = any(hasattr(g, "roles") for g in handler.resolve_guards())
            public = bool(handler.opt.get("public"))
            for method in handler.http_methods:
                operation = getattr(item, method.lower(), None)
                if operation is None:
                    continue
                if public:
                    operation.security = []  # anyone may call it: no bearer token needed
                responses = operation.responses or {}
                statuses = {400}
                if route.path_parameters:
                    statuses |= {404}
                if guarded:
                    statuses |= {401, 403}
                if route.path.startswith("/api/"):
                    statuses |= {404}  # services answer 404 for any public id that names nothing
                if method in MUTATING and route.path.startswith("/api/"):
                    statuses |= {409}
                    parameters = list(operation.parameters or [])
                    if not any(getattr(p, "name", "") == "Idempotency-Key" for p in parameters):
                        parameters.append(IDEMPOTENCY_KEY)
                    operation.parameters = parameters
                if rate_limited:
                    statuses |= {429}
                statuses |= {int(code) for code in responses if code.isdigit() and int(code) >= 400}
                for status in sorted(statuses):
                    responses[str(status)] = _error_response(status)
                operation.responses = responses
