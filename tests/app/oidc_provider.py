"""A small OpenID Connect provider on loopback, for the sign-in tests: no real provider is
reachable from the test machines.

It speaks the authorization-code flow Streamlit's `st.login` drives through Authlib: discovery,
an authorization page (a form asking for the e-mail to sign in as, so a test chooses its user),
a token endpoint checking the client, the code and PKCE, and a JWKS for the RS256-signed ID
token, whose claims (`email`, `email_verified`, `groups`, `nonce`) become `st.user`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "journeys-dashboard"
CLIENT_SECRET = "loopback-client-secret"


@dataclass
class OIDCProvider:
    groups: dict[str, list[str]] = field(default_factory=dict)  # e-mail -> the groups claim
    issued: list[dict[str, Any]] = field(default_factory=list)  # every ID token's claims

    def __post_init__(self) -> None:
        self._key = RSAKey.generate_key(2048, parameters={"kid": "loopback"})
        self._codes: dict[str, dict[str, Any]] = {}
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path == "/.well-known/openid-configuration":
                    self._json(provider.metadata())
                elif url.path == "/jwks":
                    self._json({"keys": [provider._key.as_dict(private=False)]})
                elif url.path == "/authorize":
                    self._login_form({k: v[-1] for k, v in parse_qs(url.query).items()})
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                form = {k: v[-1] for k, v in parse_qs(body).items()}
                if self.path == "/authorize":
                    self._redirect(provider.authorize(form))
                elif self.path == "/token":
                    status, payload = provider.token(form, self.headers.get("Authorization"))
                    self._json(payload, status)
                else:
                    self._json({"error": "not_found"}, 404)

            def _login_form(self, request: dict[str, str]) -> None:
                hidden = "".join(
                    f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                    for k, v in request.items()
                )
                page = (
                    "<html><body><h1>Loopback provider</h1>"
                    f'<form method="post" action="/authorize">{hidden}'
                    '<label>E-mail <input name="login_email"></label>'
                    "<button>Continue</button></form></body></html>"
                ).encode()
                self._send(200, "text/html", page)

            def _redirect(self, location: str) -> None:
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _json(self, payload: dict[str, Any], status: int = 200) -> None:
                self._send(status, "application/json", json.dumps(payload).encode())

            def _send(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
        }

    def authorize(self, form: dict[str, str]) -> str:
        """The redirect back to the app, with a one-time code for the e-mail typed in."""
        code = secrets.token_urlsafe(16)
        self._codes[code] = form
        query = urlencode({"code": code, "state": form.get("state", "")})
        return f"{form['redirect_uri']}?{query}"

    def token(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict[str, Any]]:
        if authorization and authorization.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(authorization[6:]).decode().partition(":")
        else:
            client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        if (client_id, client_secret) != (CLIENT_ID, CLIENT_SECRET):
            return 401, {"error": "invalid_client"}
        request = self._codes.pop(form.get("code", ""), None)
        if request is None or request.get("redirect_uri") != form.get("redirect_uri"):
            return 400, {"error": "invalid_grant"}
        if "code_challenge" in request:
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != request["code_challenge"]:
                return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        email = request["login_email"]
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": hashlib.sha256(email.encode()).hexdigest()[:16],
            "email": email,
            "email_verified": True,
            "groups": self.groups.get(email, []),
            "iat": now,
            "exp": now + 600,
            **({"nonce": request["nonce"]} if "nonce" in request else {}),
        }
        self.issued.append(claims)
        id_token = jwt.encode({"alg": "RS256", "kid": "loopback"}, claims, self._key)
        return 200, {
            "access_token": secrets.token_urlsafe(16),
            "token_type": "Bearer",
            "expires_in": 600,
            "id_token": id_token,
        }

    def secrets_toml(self, app_url: str) -> str:
        """The `[auth]` section of `.streamlit/secrets.toml` for an app at `app_url`."""
        return (
            "[auth]\n"
            f'redirect_uri = "{app_url}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_hex(32)}"\n\n'
            "[auth.loopback]\n"
            f'client_id = "{CLIENT_ID}"\n'
            f'client_secret = "{CLIENT_SECRET}"\n'
            f'server_metadata_url = "{self.issuer}/.well-known/openid-configuration"\n'
        )

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
