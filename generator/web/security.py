"""What keeps the web page safe by default: who may ask, forms that cannot be forged, upload
names that are never paths, and the headers a reviewer expects.

Two modes. On this computer only (the default, bound to 127.0.0.1): a request must come from
the loopback address and name a local host (a page elsewhere that points a DNS name at
127.0.0.1 is refused). Shared (`serve --host`): every page needs a sign-in, with the token
printed at start or the operator's password (PBP_WEB_PASSWORD); a session lasts a few hours
at most and ends after an hour unused.
"""
from __future__ import annotations

import hmac
import ipaddress
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, abort, g, redirect, request, session, url_for

#: Content-Security-Policy: our own scripts and styles only (no inline ones), nothing framed.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}

LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}
OPEN_PATHS = {"sign_in", "static"}          # endpoints reachable before signing in


@dataclass
class Access:
    """How the server lets people in."""

    sign_in: bool = False                   # True when shared (serve --host)
    token: str = ""                         # printed at start
    password: str = ""                      # set by the operator (PBP_WEB_PASSWORD)
    session_hours: float = 8.0              # a session never lasts longer than this
    idle_minutes: float = 60.0              # nor survives this long unused
    max_attempts: int = 10                  # failed sign-ins per address per 10 minutes

    def accepts(self, given: str) -> bool:
        given = given.strip()
        ok = False
        for secret in (self.token, self.password):
            if secret and hmac.compare_digest(given.encode(), secret.encode()):
                ok = True
        return ok


def _loopback(addr: str | None) -> bool:
    try:
        return ipaddress.ip_address((addr or "").split("%")[0]).is_loopback
    except ValueError:
        return False


def _host_name(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def session_secret(key: str, nbytes: int) -> str:
    """A random value kept in this session under key, made on first use."""
    tok = session.get(key)
    if not tok:
        tok = secrets.token_urlsafe(nbytes)
        session[key] = tok
    return str(tok)


def csrf_token() -> str:
    """This session's form token (made on first use)."""
    return session_secret("csrf", 32)


def install(app: Flask, access: Access) -> None:
    """Hook the checks into every request and the headers into every answer."""
    attempts: dict[str, list[float]] = {}

    @app.before_request
    def guard() -> Any:
        if not access.sign_in:
            if not _loopback(request.remote_addr) or _host_name(request.host) not in LOCAL_HOSTS:
                abort(403, "This page answers only on the computer it runs on. To share it, start it with "
                           "pbp-toolkit serve --host, which asks everyone to sign in.")
        else:
            now = time.time()
            since, seen = session.get("since"), session.get("seen")
            fresh = (isinstance(since, (int, float)) and isinstance(seen, (int, float))
                     and now - since < access.session_hours * 3600 and now - seen < access.idle_minutes * 60)
            if fresh:
                session["seen"] = now
            elif session.get("since") is not None:
                session.clear()          # expired: sign in again
            g.signed_in = bool(fresh)
            if not fresh and request.endpoint not in OPEN_PATHS:
                if request.method == "GET" and not request.headers.get("HX-Request"):
                    return redirect(url_for("sign_in", next=request.path))
                abort(401, "Sign in first.")
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
            expected = session.get("csrf") or ""
            if not expected or not hmac.compare_digest(str(sent).encode(), str(expected).encode()):
                abort(400, "This form has no valid security token (it may have expired). Reload the page and try again.")
        return None

    def sign_in_attempt(address: str, given: str) -> bool:
        now = time.time()
        recent = [t for t in attempts.get(address, []) if now - t < 600]
        if len(recent) >= access.max_attempts:
            attempts[address] = recent
            return False
        if access.accepts(given):
            attempts.pop(address, None)
            session.clear()           # a new session (and a new form token) at every sign-in
            session.permanent = True
            session["since"] = session["seen"] = now
            session["csrf"] = secrets.token_urlsafe(32)
            return True
        attempts[address] = recent + [now]
        return False

    app.extensions["pbp_sign_in"] = sign_in_attempt

    @app.after_request
    def headers(resp: Response) -> Response:
        for k, v in HEADERS.items():
            resp.headers.setdefault(k, v)
        if resp.mimetype == "text/html" or not resp.headers.get("Cache-Control"):
            resp.headers["Cache-Control"] = "no-store"
        return resp


_SAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def display_name(raw: str | None) -> str:
    """The last part of an uploaded file's name, to show (escaped) and to report: never a path."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    return name.strip()[:120] or "unnamed file"


def disk_name(index: int, raw: str | None) -> str:
    """The name an upload is stored under: a number of ours and a tame copy of its name, so two
    uploads never collide and no name can climb out of the folder or hide as a dot file."""
    tame = _SAFE.sub("_", display_name(raw)).strip(" .") or "file"
    stem, dot, ext = tame.rpartition(".")
    if not dot:
        stem, ext = tame, ""
    ext = ext.lower()[:8]
    return f"{index:05d}-{stem[:80]}" + (f".{ext}" if ext else "")
