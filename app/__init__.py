"""The Streamlit dashboards: one app over the published serving snapshot of the journey marts."""
