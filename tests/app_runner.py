"""Running the Streamlit app under AppTest from any test area, the way a first visit would."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py"
# The first run imports plotly, pandas and duckdb; on a shared 2-core machine that can take a while.
RUN_TIMEOUT = 90


def run_app(
    page: str = "overview",
    *,
    secrets: dict[str, Any] | None = None,
    user: dict[str, Any] | None = None,
    **params: str | list[str],
) -> AppTest:
    """The app on `page`, with `params` in the URL; `secrets` stand for `.streamlit/secrets.toml`
    and `user` for what an OIDC provider said (`st.user`)."""
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT)
    at.query_params.update(params)
    at.secrets.update(secrets or {})
    if user is not None:
        at.user = user
    at.run()
    if page != "overview":
        at.switch_page(f"app_pages/{page}.py").run()
    return at


@contextmanager
def main_module_kept() -> Iterator[None]:
    """Put the process's `__main__` back afterwards.

    Every AppTest run installs the app script as `sys.modules["__main__"]` and leaves it there.
    A later test that starts worker processes (ingest's decode pool) then has each worker re-run
    the dashboard as its main module, which dies outside Streamlit, and the pool breaks."""
    main_module = sys.modules["__main__"]
    try:
        yield
    finally:
        sys.modules["__main__"] = main_module
