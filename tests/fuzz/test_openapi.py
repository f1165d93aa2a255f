"""schemathesis against the app's own OpenAPI spec (/schema/openapi.json), bounded for CI.

The app is served by uvicorn on a loopback port (the way it runs in production, one process, its own
event loop) with a migrated database holding the campaign files, so the checks see real objects and
not only empty lists. Requests carry a bearer token of a user who holds every grantable role, so
guarded operations answer more than 401/403; the `ignored_auth` check still sends them without it.

What must hold for every generated request (positive and negative data):
- no 5xx (`not_a_server_error`);
- the status is one the operation documents (`status_code_conformance`);
- the body matches the documented schema and content type (`response_schema_conformance`,
  `content_type_conformance`, `response_headers_conformance`);
- schema-invalid input is refused with a 4xx (`negative_data_rejection`), and the auth checks.

Not checked: `positive_data_acceptance`. A schema-valid body may still break a business rule the
schema cannot say (a phone number that is not a mainland one, an unknown campaign slug, a wrong SMS
code); those 4xx are the point of the rule, not a defect.

The budget per operation comes from FUZZ_MAX_EXAMPLES (default 8 in CI; see docs/security.md for a
longer local run), the seed from FUZZ_SEED (fixed by default, so a CI failure reproduces), and the
whole run's wall clock from FUZZ_BUDGET_S (operations left when it is spent are skipped, visibly).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from collections.abc import Iterator

import hypothesis
import pytest
import requests
import schemathesis
from litestar.serialization import encode_json
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.campaigns.sync import sync as campaigns_sync
from app.core.auth import GRANTABLE_ROLES
from app.core.openapi import document_errors
from app.main import create_app
from app.settings import Settings
from tests.browser.seeding import seed
from tests.conftest import IS_POSTGRES, REDIS_URL, _drop_redis_keys, _truncate_all, base_settings
from tests.helpers import signed_in
from tests.live_server import serve_in_thread

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "8"))
SEED = int(os.environ.get("FUZZ_SEED", "20261206"))
# Wall-clock bound of the operation tests (fixtures excluded): operations left when it is spent are
# skipped, and the summary line says how many ran. 0 = no bound (a long local run).
BUDGET_S = float(os.environ.get("FUZZ_BUDGET_S", "200"))

# Operations that end the caller's own session or account get a throwaway user, so the rest of the
# run keeps a valid token.
SESSION_ENDING = {
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/auth/logout-all"),
    ("POST", "/api/v1/me/delete-account"),
}


@pytest.fixture(scope="module")
def fuzz_settings(migrated_database: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A database of its own for the whole run (the copy or the truncated PostgreSQL one)."""
    tmp = tmp_path_factory.mktemp("fuzz")
    if IS_POSTGRES:
        asyncio.run(_truncate_all(migrated_database))
        url = migrated_database
    else:
        copy = tmp / "fuzz.sqlite3"
        shutil.copyfile(migrated_database, copy)
        url = f"sqlite://{copy}"
    if REDIS_URL:
        asyncio.run(_drop_redis_keys())
    return base_settings(url).with_(upload_dir=str(tmp / "uploads"))


@pytest.fixture(scope="module")
def tokens(fuzz_settings: Settings) -> dict[str, dict[str, str]]:
    async def fill() -> dict[str, dict[str, str]]:
        await campaigns_sync(include_demo=True, actor="test:fuzz")
        _, everyone = await signed_in(fuzz_settings, *GRANTABLE_ROLES)
        _, throwaway = await signed_in(fuzz_settings)
        return {"main": everyone, "throwaway": throwaway}

    return seed(fuzz_settings, fill)


@pytest.fixture(scope="module")
def live_url(fuzz_settings: Settings, tokens: dict[str, dict[str, str]]) -> Iterator[str]:
    yield from serve_in_thread(fuzz_settings, "fuzz-server")


def _spec() -> dict:
    """The spec exactly as the app serves it (the start-up hook's rewrite included), built without a server.

    The schema is loaded at import time, not from a fixture: schemathesis 4.32's lazy fixture loader
    sets `request.node._nodeid`, which pytest 9 no longer has.
    """
    app = create_app(
        Settings(
            environment="test",
            database_url="sqlite://:memory:",
            redis_url=None,
            api_rate_limit_per_minute=0,
            log_level="WARNING",
        )
    )
    document_errors(app, rate_limited=False)
    return json.loads(encode_json(app.openapi_schema.to_schema()))


SPEC = _spec()
CONFIG = {
    "seed": SEED,
    "generation": {
        "max-examples": MAX_EXAMPLES,
        # Unknown query parameters are ignored, as HTTP APIs do; OpenAPI cannot say "no others".
        "allow-extra-parameters": False,
        # The bearer token is ours to send (below); `ignored_auth` still tries each call without it.
        "with-security-parameters": False,
    },
}
schema = schemathesis.openapi.from_dict(SPEC, config=SchemathesisConfig.from_dict(CONFIG)).exclude(
    path_regex=r"^/schema"
)
RUN: dict[str, float] = {"operations": 0, "examples": 0, "skipped": 0}
SEEN: set[tuple[str, str]] = set()


def summary() -> str:
    total = len(list(schema.get_all_operations()))
    return (
        f"schemathesis: {RUN['operations']:.0f} of {total} operations, {RUN['examples']:.0f} requests checked "
        f"(at most {MAX_EXAMPLES} examples per operation and phase, seed {SEED}"
        + (
            f", {RUN['skipped']:.0f} operations skipped when the {BUDGET_S:.0f} s budget ran out)"
            if RUN["skipped"]
            else ")"
        )
    )


@pytest.fixture(autouse=True)
def _within_budget(request: pytest.FixtureRequest) -> None:
    if not request.node.name.startswith("test_every_operation"):
        return
    now = time.monotonic()
    started = RUN.setdefault("started", now)
    if BUDGET_S and now - started > BUDGET_S:
        RUN["skipped"] += 1
        pytest.skip(f"the fuzz budget of {BUDGET_S:.0f} s is spent (FUZZ_BUDGET_S)")


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    derandomize=False,
    database=None,
)
def test_every_operation_keeps_its_spec(
    case: schemathesis.Case, live_url: str, tokens: dict[str, dict[str, str]]
) -> None:
    key = (case.operation.method.upper(), case.operation.path)
    RUN["examples"] += 1
    if key not in SEEN:
        SEEN.add(key)
        RUN["operations"] += 1
    headers = tokens["throwaway"] if key in SESSION_ENDING else tokens["main"]
    # The auth checks replay a call from other identities with the same Idempotency-Key; every anonymous
    # replay shares one scope (the client address), so a replay could meet an earlier anonymous claim of
    # the key (409) before the guard's 401. Keys are tested in tests/core/test_idempotency.py; see
    # docs/security.md ("open").
    if case.headers:
        case.headers.pop("Idempotency-Key", None)
    case.call_and_validate(base_url=live_url, headers=headers, excluded_checks=[positive_data_acceptance], timeout=30)


def test_the_fuzzed_spec_is_the_one_the_server_serves(live_url: str) -> None:
    served = requests.get(f"{live_url}/schema/openapi.json", timeout=10).json()
    assert served == SPEC
    assert len(served["paths"]) > 100
