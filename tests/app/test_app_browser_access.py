"""Sign-in in a real browser: `streamlit run` started without `--server.address` (the repo's
`.streamlit/config.toml` decides), Chromium through Playwright, and for OIDC the loopback
provider of `oidc_provider.py` that `st.login` redirects to and back from."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from access_roles import JOURNEY_NAMES, ROLE_FILE
from browser import chromium, free_port, listening_addresses, new_page, require_chromium, streamlit_server
from fixture_marts import build_fixture_snapshot
from oidc_provider import OIDCProvider

pytestmark = pytest.mark.browser

PASSWORD = "a long shared passphrase"
DATA_ON_THE_OVERVIEW = "Biggest drop-off: payment"


@pytest.fixture(scope="module")
def serving(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_chromium()
    directory = tmp_path_factory.mktemp("access-serving")
    build_fixture_snapshot(directory)
    return directory


@pytest.fixture(scope="module")
def password_app(serving: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("password-app") / "streamlit.log"
    with streamlit_server(serving, log, env={"JOURNEYS_APP_PASSWORD": PASSWORD}) as url:
        yield url


@pytest.fixture(scope="module")
def oidc_app(serving: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, OIDCProvider]]:
    """The app with `[auth]` in `.streamlit/secrets.toml`, started from another directory than
    the repo's (where that file lives for this test), with a role file."""
    provider = OIDCProvider(groups={"dana@example.com": ["privacy-office"]})
    workdir = tmp_path_factory.mktemp("oidc-app")
    port = free_port()
    (workdir / ".streamlit").mkdir()
    (workdir / ".streamlit" / "secrets.toml").write_text(provider.secrets_toml(f"http://127.0.0.1:{port}"))
    (workdir / "roles.yaml").write_text(ROLE_FILE)
    env = {"JOURNEYS_APP_ROLES": str(workdir / "roles.yaml")}
    try:
        with streamlit_server(serving, workdir / "streamlit.log", port=port, cwd=workdir, env=env) as url:
            yield url, provider
    finally:
        provider.stop()


@pytest.fixture(scope="module")
def browser(serving: Path):
    with chromium() as launched:
        yield launched


def _open_from_sidebar(page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()


def _assert_nothing_but_the_sign_in(page) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_text("Sign in to see the dashboards.")).to_be_visible()
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
    shown = page.locator("body").inner_text()
    assert DATA_ON_THE_OVERVIEW not in shown and not any(name in shown for name in JOURNEY_NAMES)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    expect(page.get_by_test_id("stDataFrame")).to_have_count(0)


def test_the_app_listens_on_loopback_only_however_it_is_started(password_app: str, oidc_app):
    """Neither server was given an address: from the repo's root and from another directory,
    `.streamlit/config.toml` binds 127.0.0.1."""
    for url in (password_app, oidc_app[0]):
        assert listening_addresses(int(url.rsplit(":", 1)[1])) == {"127.0.0.1"}


def test_a_password_gate_shows_nothing_before_sign_in_and_every_page_after(browser, password_app: str):
    from playwright.sync_api import expect

    page = new_page(browser)
    page.goto(f"{password_app}/conversations")  # a deep link is gated like the front page
    _assert_nothing_but_the_sign_in(page)

    page.get_by_label("Password", exact=True).fill("not the passphrase")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Wrong password.")).to_be_visible()
    _assert_nothing_but_the_sign_in(page)

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Conversations")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    _open_from_sidebar(page, "Overview")
    expect(page.get_by_text(DATA_ON_THE_OVERVIEW)).to_be_visible()
    _open_from_sidebar(page, "Compliance")
    expect(page.get_by_text("PII left unredacted")).to_be_visible()


def _sign_in_with_oidc(page, app_url: str, email: str) -> None:
    from playwright.sync_api import expect

    page.goto(app_url)
    _assert_nothing_but_the_sign_in(page)
    page.get_by_role("button", name="Sign in with loopback").click()
    page.get_by_label("E-mail").fill(email)  # the provider's own page
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text(f"Signed in: {email}")).to_be_visible()


def test_oidc_sign_in_and_a_role_without_transcript_access(browser, oidc_app):
    from playwright.sync_api import expect

    app_url, provider = oidc_app
    page = new_page(browser)
    _sign_in_with_oidc(page, app_url, "pat@example.com")
    assert provider.issued[-1]["email"] == "pat@example.com"
    expect(page.get_by_text(DATA_ON_THE_OVERVIEW)).to_be_visible()
    expect(page.get_by_text("Signed in: pat@example.com (product)")).to_be_visible()

    _open_from_sidebar(page, "Conversations")
    expect(page.get_by_text("which only the cx_ops, ml, compliance role(s) may see")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame")).to_have_count(0)
    _open_from_sidebar(page, "Compliance")
    expect(page.get_by_text("which only the compliance role(s) may see")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    _assert_nothing_but_the_sign_in(page)


def test_oidc_roles_open_transcripts_and_the_compliance_page(browser, oidc_app):
    from playwright.sync_api import expect

    app_url, _ = oidc_app
    cx_ops = new_page(browser)
    _sign_in_with_oidc(cx_ops, app_url, "casey@example.com")
    _open_from_sidebar(cx_ops, "Conversations")
    expect(cx_ops.get_by_test_id("stDataFrame").first).to_be_visible()
    _open_from_sidebar(cx_ops, "Compliance")
    expect(cx_ops.get_by_text("which only the compliance role(s) may see")).to_be_visible()

    compliance = new_page(browser)  # her role comes from her group, not her e-mail
    _sign_in_with_oidc(compliance, app_url, "dana@example.com")
    _open_from_sidebar(compliance, "Compliance")
    expect(compliance.get_by_text("PII left unredacted")).to_be_visible()
