"""Hooks for every test pytest collects: tests/ and the packages' docstring examples."""

from __future__ import annotations

import os

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a skipped test is a failure: a skip must never hide a missing dependency."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI", "").lower() == "true" and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true (skips are failures in CI): {report.longrepr}"
