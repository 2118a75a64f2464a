"""Sign-in and roles under AppTest: the password gate, OIDC viewers (Streamlit's `st.user`, as
AppTest seeds it) and the role file deciding who sees transcripts and the Compliance page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from access_roles import JOURNEY_NAMES, ROLE_FILE
from app_runner import run_app
from apptest_helpers import texts
from fixture_marts import build_fixture_snapshot
from streamlit.testing.v1 import AppTest

from app.auth import ROLES, RoleFileError, RoleMap

PASSWORD = "correct horse battery staple"
# What `.streamlit/secrets.toml` holds for OIDC; no provider is reached under AppTest.
OIDC_SECRETS = {
    "auth": {
        "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
        "cookie_secret": "a-cookie-secret-for-tests",
        "corp": {
            "client_id": "journeys",
            "client_secret": "s3cret",
            "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
        },
    }
}


@pytest.fixture
def env(serving: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    monkeypatch.setenv("JOURNEYS_SERVING_DIR", str(serving))
    monkeypatch.delenv("JOURNEYS_APP_PASSWORD", raising=False)
    roles = tmp_path / "roles.yaml"
    roles.write_text(ROLE_FILE)
    monkeypatch.setenv("JOURNEYS_APP_ROLES", str(roles))
    return monkeypatch


def _shows_nothing_but_the_sign_in(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.sidebar.children or all(not c.children for c in at.sidebar.children.values())
    assert not at.dataframe and not at.metric and not at.get("plotly_chart") and not at.get("page_link")
    shown = " ".join(texts(at))
    assert not any(name in shown for name in JOURNEY_NAMES)
    assert "Sign in to see the dashboards." in shown


def _oidc(page: str, **user) -> AppTest:
    at = run_app(page, secrets=OIDC_SECRETS, user={"is_logged_in": True, **user})
    assert not at.exception, [e.value for e in at.exception]
    return at


def _refused(at: AppTest) -> bool:
    return any("Ask the dashboard's administrator" in w.value for w in at.warning)


@pytest.mark.parametrize("page", ["overview", "conversations", "compliance"])
def test_with_a_password_every_page_first_shows_only_the_form(env, page):
    env.setenv("JOURNEYS_APP_PASSWORD", PASSWORD)
    at = run_app(page)
    _shows_nothing_but_the_sign_in(at)
    assert [t.label for t in at.text_input] == ["Password"]


def test_a_wrong_password_is_refused_and_the_right_one_opens_every_page(env):
    env.setenv("JOURNEYS_APP_PASSWORD", PASSWORD)
    at = run_app()
    at.text_input[0].input("correct horse battery")
    at.button[0].click().run()
    _shows_nothing_but_the_sign_in(at)
    assert [e.value for e in at.error] == ["Wrong password."]

    at.text_input[0].input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception and not at.text_input
    assert "#### Biggest drop-off: **payment**" in texts(at)
    for page in ("conversations", "compliance"):  # the password grants every role
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception and not _refused(at) and at.dataframe


def test_changing_the_password_signs_everyone_out(env):
    env.setenv("JOURNEYS_APP_PASSWORD", PASSWORD)
    at = run_app()
    at.text_input[0].input(PASSWORD)
    at.button[0].click().run()
    assert at.metric
    env.setenv("JOURNEYS_APP_PASSWORD", "a new one")
    at.run()
    _shows_nothing_but_the_sign_in(at)


def test_without_sign_in_configured_every_page_opens(env):
    at = run_app("compliance")
    assert not at.exception and not _refused(at) and not at.text_input


def test_oidc_configured_shows_only_the_providers_sign_in_button(env):
    at = run_app("conversations", secrets=OIDC_SECRETS, user={"is_logged_in": False})
    _shows_nothing_but_the_sign_in(at)
    assert [b.label for b in at.button] == ["Sign in with corp"]


def test_a_role_without_transcript_access_gets_a_clear_message_not_an_error(env):
    at = _oidc("conversations", email="pat@example.com")
    assert _refused(at) and "cx_ops, ml, compliance" in at.warning[0].value
    assert not at.dataframe and not at.error
    assert "Signed in: pat\\@example\\.com (product)" in [c.value for c in at.sidebar.caption]
    assert "#### Biggest drop-off: **payment**" in texts(_oidc("overview", email="pat@example.com"))


def test_cx_ops_reads_transcripts_but_not_the_compliance_page(env):
    assert not _refused(conversations := _oidc("conversations", email="casey@example.com"))
    assert conversations.dataframe
    assert _refused(_oidc("compliance", email="casey@example.com"))


def test_a_group_grants_its_roles(env):
    at = _oidc("compliance", email="someone@example.com", groups=["Privacy-Office"])
    assert not _refused(at) and at.metric


def test_an_unverified_email_and_an_unlisted_user_get_no_role(env):
    assert _refused(_oidc("conversations", email="casey@example.com", email_verified=False))
    assert _refused(_oidc("conversations", email="stranger@example.com"))


def test_oidc_without_a_role_file_grants_no_role(env):
    env.delenv("JOURNEYS_APP_ROLES")
    assert _refused(_oidc("conversations", email="casey@example.com"))


def test_a_broken_role_file_shows_nothing(env, tmp_path):
    (tmp_path / "roles.yaml").write_text("users:\n  casey@example.com: [admin]\n")
    at = _oidc("overview", email="casey@example.com")
    assert "unknown role(s) admin" in at.error[0].value
    assert not at.metric and not at.dataframe


def test_role_file_format(tmp_path):
    path = tmp_path / "roles.yaml"
    path.write_text(ROLE_FILE + "default: product\n")
    roles = RoleMap.load(path)
    assert roles.roles_for("PAT@example.com", []) == {"product"}
    assert roles.roles_for("casey@example.com", ["privacy-office"]) == {"product", "cx_ops", "compliance"}
    assert roles.roles_for(None, []) == {"product"}
    for bad, message in [
        ("users: [a@b.c]", "`users` must map names to roles"),
        ("groups:\n  g: 3", "expected a role or a list of roles"),
        ("admins: {}", "unknown key(s) admins"),
        ("users: {a: [", "not valid YAML"),
    ]:
        path.write_text(bad)
        with pytest.raises(RoleFileError, match=re.escape(message)):
            RoleMap.load(path)
    assert set(ROLES) == {"product", "cx_ops", "ml", "compliance"}


def test_a_bad_setting_is_a_clear_error_before_anything_is_shown(env):
    env.setenv("JOURNEYS_MAX_JUDGE_FAILURE_RATE", "lots")
    at = run_app()
    assert not at.exception
    assert "JOURNEYS_MAX_JUDGE_FAILURE_RATE='lots' must be a number between 0 and 1" in at.error[0].value
    assert not at.metric and not at.dataframe


@pytest.fixture
def declined(env, mart, tmp_path: Path) -> str:
    """The fixture snapshot with one conversation of a customer who declined AI evaluation."""
    conversation = str(mart("conversation_evaluations")["conversation_id"].min())
    build_fixture_snapshot(tmp_path / "declined", declined=(conversation,))
    env.setenv("JOURNEYS_SERVING_DIR", str(tmp_path / "declined"))
    return conversation


def _turns_shown(at: AppTest) -> list[str]:
    return [c.value for c in at.caption if c.value.startswith("turn ")]


def test_only_compliance_reads_a_declined_customers_transcript(declined):
    at = _oidc("compliance", email="someone@example.com", groups=["privacy-office"])
    assert at.selectbox(key="declined_open").value == declined
    assert list(at.dataframe[-1].value["conversation_id"]) == [declined]
    assert _turns_shown(at)[0] == "turn 1 · customer" and len(_turns_shown(at)) == 6
    # cx_ops reads transcripts, but not this one, and cannot open the Compliance page.
    conversations = run_app(
        "conversations",
        secrets=OIDC_SECRETS,
        user={"is_logged_in": True, "email": "casey@example.com"},
        conversation=declined,
    )
    assert conversations.selectbox(key="conv_open").value == declined
    assert _turns_shown(conversations) == []
    assert any("shown on the Compliance page only" in i.value for i in conversations.info)
    assert _refused(_oidc("compliance", email="casey@example.com"))
