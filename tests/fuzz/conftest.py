"""Prints the schemathesis run's counts under the pytest summary (operations, requests, budget)."""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.fuzz import test_openapi

    if test_openapi.RUN["operations"]:
        terminalreporter.write_line(test_openapi.summary())
