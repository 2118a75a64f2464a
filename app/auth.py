"""Who may open the dashboard, and which pages: the sign-in gate and the role file.

The mode is decided on every run, before anything reads the snapshot:
- **OIDC**, when `.streamlit/secrets.toml` has an `[auth]` section: Streamlit's `st.login` and
  `st.user`. Roles come from the role file (`JOURNEYS_APP_ROLES`), by e-mail or group; a
  signed-in user the file does not list has no role.
- **a shared password**, when `JOURNEYS_APP_PASSWORD` is set: a password form, compared in
  constant time; it grants every role.
- **neither**: no sign-in, every role. The app then listens on 127.0.0.1 only
  (`.streamlit/config.toml`), so only this machine reaches it.

docs/access.md documents the modes and the role file.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NoReturn

import streamlit as st
import yaml

from app.formatting import escape_markdown
from orchestration.settings import Settings

ROLES: tuple[str, ...] = ("product", "cx_ops", "ml", "compliance")

# Pages, by URL path, that only some roles may open; every other page is open to anyone signed in.
PAGE_ROLES: dict[str, frozenset[str]] = {
    "conversations": frozenset({"cx_ops", "ml", "compliance"}),  # it shows transcripts
    "compliance": frozenset({"compliance"}),
}
_WHAT_PAGES_SHOW = {"conversations": "customer transcripts", "compliance": "compliance evidence"}

_PASSWORD_KEY = "_journeys_password_fingerprint"


class RoleFileError(ValueError):
    """The role file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Viewer:
    identity: str  # the OIDC e-mail (or subject), or how the viewer got in
    roles: frozenset[str]
    method: Literal["oidc", "password", "open"]

    def may_open(self, url_path: str) -> bool:
        needed = PAGE_ROLES.get(url_path)
        return needed is None or bool(needed & self.roles)


def _roles(value: Any, where: str) -> frozenset[str]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise RoleFileError(f"{where}: expected a role or a list of roles, got {value!r}")
    unknown = sorted(set(values) - set(ROLES))
    if unknown:
        raise RoleFileError(f"{where}: unknown role(s) {', '.join(unknown)}; roles are {', '.join(ROLES)}")
    return frozenset(values)


def _mapping(document: Mapping[str, Any], section: str, path: Path) -> dict[str, frozenset[str]]:
    entries = document.get(section) or {}
    if not isinstance(entries, Mapping):
        raise RoleFileError(f"{path}: `{section}` must map names to roles")
    # E-mail addresses compare case-insensitively; so do group names, as most IdPs treat them.
    return {str(name).lower(): _roles(roles, f"{path}: {section}.{name}") for name, roles in entries.items()}


@dataclass(frozen=True)
class RoleMap:
    """The role file: `users` (e-mail -> roles), `groups` (OIDC group -> roles) and an optional
    `default` (roles of any other signed-in user)."""

    users: Mapping[str, frozenset[str]]
    groups: Mapping[str, frozenset[str]]
    default: frozenset[str]

    @classmethod
    def load(cls, path: Path) -> RoleMap:
        try:
            document = yaml.safe_load(path.read_text()) or {}
        except OSError as exc:
            raise RoleFileError(f"cannot read the role file {path}: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise RoleFileError(f"{path} is not valid YAML: {exc}") from None
        if not isinstance(document, Mapping):
            raise RoleFileError(f"{path}: expected a mapping with `users`, `groups` and `default`")
        unknown = sorted(set(document) - {"users", "groups", "default"})
        if unknown:
            raise RoleFileError(f"{path}: unknown key(s) {', '.join(unknown)}; use users, groups and default")
        default = document.get("default")
        return cls(
            users=_mapping(document, "users", path),
            groups=_mapping(document, "groups", path),
            default=_roles(default, f"{path}: default") if default is not None else frozenset(),
        )

    def roles_for(self, email: str | None, groups: Iterable[str]) -> frozenset[str]:
        roles = set(self.default)
        if email:
            roles |= self.users.get(email.lower(), frozenset())
        for group in groups:
            roles |= self.groups.get(group.lower(), frozenset())
        return frozenset(roles)


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as exc:
        # A bad environment variable: say which, and show nothing (the gate cannot be checked).
        st.error(f"The app is misconfigured: {exc}", icon=":material/error:")
        st.stop()


def signed_in_viewer() -> Viewer | None:
    """The viewer of this session, or None until they sign in (then show `sign_in_form`)."""
    settings = _settings()
    if _oidc_configured():
        return _oidc_viewer(settings.app_roles) if st.user.is_logged_in else None
    if settings.app_password:
        signed_in = hmac.compare_digest(
            st.session_state.get(_PASSWORD_KEY, ""), _fingerprint(settings.app_password)
        )
        return Viewer("shared password", frozenset(ROLES), "password") if signed_in else None
    return Viewer("anyone on this machine", frozenset(ROLES), "open")


def sign_in_form() -> NoReturn:
    """The sign-in form and nothing else: the run stops here."""
    st.title("Customer journeys")
    st.caption("Sign in to see the dashboards.")
    if _oidc_configured():
        for provider in _providers():
            label = f"Sign in with {provider}" if provider else "Sign in"
            st.button(label, type="primary", on_click=st.login, args=(provider,) if provider else ())
    else:
        _password_form(_settings().app_password)
    st.stop()


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets.toml at all
        return False


def _fingerprint(password: str) -> str:
    # The session remembers a digest, not the password; a changed password signs everyone out.
    return hashlib.sha256(password.encode()).hexdigest()


def _password_form(password: str) -> None:
    """Streamlit's documented password pattern, in a form, compared in constant time."""
    with st.form("sign_in"):
        entered = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        if hmac.compare_digest(entered.encode(), password.encode()):
            st.session_state[_PASSWORD_KEY] = _fingerprint(password)
            st.rerun()
        st.error("Wrong password.", icon=":material/lock:")


def _providers() -> list[str | None]:
    """Named providers (`[auth.<name>]` sections) or, with the settings directly under `[auth]`,
    Streamlit's default provider."""
    named = [name for name, value in st.secrets["auth"].items() if isinstance(value, Mapping)]
    return list(named) or [None]


def _oidc_viewer(role_file: Path | None) -> Viewer:
    email = st.user.get("email")
    # An address the provider has not verified could be anyone's: it grants nothing.
    if st.user.get("email_verified") is False:
        email = None
    groups = st.user.get("groups") or []
    groups = [groups] if isinstance(groups, str) else list(groups)
    identity = str(st.user.get("email") or st.user.get("sub") or "signed-in user")
    if role_file is None:
        return Viewer(identity, frozenset(), "oidc")
    try:
        roles = RoleMap.load(role_file).roles_for(email, groups)
    except RoleFileError as exc:
        # Fail closed: a broken role file shows nothing rather than everything.
        st.error(f"The role file is broken, so no page can be shown: {exc}", icon=":material/error:")
        st.stop()
    return Viewer(identity, roles, "oidc")


def show_viewer(viewer: Viewer) -> None:
    """Who is signed in, with which roles, and the way out, under the sidebar's page list."""
    if viewer.method == "open":
        return
    roles = ", ".join(r for r in ROLES if r in viewer.roles) or "no role"
    st.sidebar.caption(f"Signed in: {escape_markdown(viewer.identity)} ({roles})")
    if viewer.method == "oidc":
        st.sidebar.button("Sign out", on_click=st.logout)
    else:
        st.sidebar.button("Sign out", on_click=st.session_state.pop, args=(_PASSWORD_KEY, None))


def refuse(viewer: Viewer, url_path: str, title: str) -> None:
    """The page's place when the viewer's roles do not open it: what it needs, and who to ask."""
    needed = ", ".join(r for r in ROLES if r in PAGE_ROLES[url_path])
    held = ", ".join(r for r in ROLES if r in viewer.roles) or "no role"
    st.title(title)
    st.warning(
        f"This page shows {_WHAT_PAGES_SHOW[url_path]}, which only the {needed} role(s) may see. "
        f"You are signed in as {escape_markdown(viewer.identity)} with {held}. Ask the dashboard's administrator to "
        "add you to the role file (JOURNEYS_APP_ROLES).",
        icon=":material/lock:",
    )
