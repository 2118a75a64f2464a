"""Entry point: `streamlit run app/streamlit_app.py`.

Signs the viewer in (app/auth.py) before anything else, resolves the serving snapshot once per
run, renders the shared sidebar filters, and hands both to the page `st.navigation` selected,
or says why the viewer's roles do not open it.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `app` is not installed into site-packages (the name is too generic to claim there), and
# Streamlit puts only this script's folder on sys.path: put the repository root there too, so
# `import app` finds this folder however and from wherever the app is started.
_REPO_ROOT = str(Path(__file__).resolve().parents[1])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

import streamlit as st

from app import auth, page_frame, sidebar
from app.data import serving_dir
from orchestration.serving import SnapshotError, current_snapshot

st.set_page_config(page_title="Customer journeys", page_icon=":material/route:", layout="wide")

PAGES = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/insights:", default=True),
    st.Page("app_pages/stages.py", title="Stages", icon=":material/stairs:"),
    st.Page("app_pages/channel_mix.py", title="Channel mix", icon=":material/alt_route:"),
    st.Page("app_pages/conversations.py", title="Conversations", icon=":material/forum:"),
    st.Page("app_pages/compliance.py", title="Compliance", icon=":material/shield_person:"),
    st.Page("app_pages/routing.py", title="Routing signals", icon=":material/call_split:"),
]
# Before the snapshot and the filters: a visitor not signed in sees the sign-in form and nothing
# else, not even the page names. The navigation still resolves the page the link asked for, so
# that a shared link opens that page after sign-in.
viewer = auth.signed_in_viewer()
page = st.navigation(PAGES, position="sidebar" if viewer else "hidden")
if viewer is None:
    auth.sign_in_form()
auth.show_viewer(viewer)
if not viewer.may_open(page.url_path):
    auth.refuse(viewer, page.url_path, page.title)
    st.stop()

try:
    directory = serving_dir()
    snapshot = current_snapshot(directory)
except (ValueError, SnapshotError) as exc:
    # A bad environment variable or a damaged manifest: say what is wrong, not a traceback.
    st.error(f"Cannot read the serving data: {exc}", icon=":material/error:")
    st.stop()

if snapshot is None:
    page_frame.no_data_message(directory)
    st.stop()

page_frame.set_page_context(page_frame.PageContext(snapshot, sidebar.sidebar_filters(snapshot)))
page.run()
