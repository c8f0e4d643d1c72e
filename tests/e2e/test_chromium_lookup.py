"""Without Chromium the browser journeys fail in CI and skip, with a clear message, elsewhere."""
import pytest

from tests.e2e import conftest as e2e


@pytest.fixture()
def no_chromium(monkeypatch):
    monkeypatch.setattr(e2e, "_candidates", lambda: ["/nonexistent/chromium", None])


def test_missing_chromium_is_a_failure_in_ci(no_chromium, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install chromium"):
        e2e.require_chromium()


def test_missing_chromium_is_a_skip_on_a_developer_machine(no_chromium, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        e2e.require_chromium()


def test_chromium_is_found_by_vh_chromium(monkeypatch, tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("VH_CHROMIUM", str(fake))
    assert e2e.chromium_path() == str(fake)
