"""The role file the sign-in tests share, and what a page must not show before sign-in."""

ROLE_FILE = """\
users:
  Pat@Example.com: [product]
  casey@example.com: [cx_ops]
groups:
  privacy-office: [compliance]
"""
JOURNEY_NAMES = ("streaming_onboarding", "billing_dispute")  # of the fixture snapshot
