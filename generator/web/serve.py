"""`pbp-toolkit serve`: the web page on this computer (or, with --host, shared with sign-in)."""
from __future__ import annotations

import os
import secrets
import sys
import threading
import webbrowser
from pathlib import Path

import click

DEFAULT_PORT = 8765


def make_server(host: str, port: int, settings: "object") -> "object":
    """A threaded WSGI server for the app (werkzeug's), not yet serving."""
    from werkzeug.serving import make_server as _make

    from .app import Settings, create_app

    assert isinstance(settings, Settings)
    return _make(host, port, create_app(settings), threaded=True)


@click.command("serve")
@click.option("--db", help="The portfolio database: an SQLite file or a database URL (default: PBP_DATABASE, else your data folder).")
@click.option("--host", help="Share the page on this address (for example 0.0.0.0). Everyone then signs in with the token printed at start "
                             "or the password in PBP_WEB_PASSWORD. Without --host the page answers on this computer only (127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True, help="Port to listen on (0: any free port).")
@click.option("--no-browser", is_flag=True, help="Do not open the page in a browser.")
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for uploads and built workbooks (default: PBP_WEB_DATA, else pbp-toolkit/web in your data folder).")
def serve_command(db: str | None, host: str | None, port: int, no_browser: bool, data_dir: Path | None) -> None:
    """Open the web page for program officers: Send, Collect, Portfolio and Partnerships.

    \b
    Send      upload a roster, see each row's problems, build, download the zip
    Collect   name a round, upload the returned workbooks (or a zip of them)
    Portfolio the round's table, benchmarks, who needs attention, downloads
    Partnerships one partnership's figures over every round

    The page runs the same code as the commands (batch, collect, history). It answers on
    127.0.0.1 only unless --host is given; with --host every visitor signs in. Stop it with Ctrl+C.
    """
    from .app import Settings, default_data_dir
    from .security import Access

    shared = host is not None
    bind = host or "127.0.0.1"
    password = os.environ.get("PBP_WEB_PASSWORD", "")
    access = Access(sign_in=shared, token=secrets.token_urlsafe(24) if shared else "", password=password)
    settings = Settings(data_dir=data_dir or default_data_dir(), db=db, access=access)
    try:
        server = make_server(bind, port, settings)
    except OSError as exc:
        click.echo(f"error: cannot listen on {bind}:{port} ({exc.strerror or exc}); choose another --port", err=True)
        sys.exit(2)
    real_port = server.server_port  # type: ignore[attr-defined]
    shown_host = "127.0.0.1" if bind in ("0.0.0.0", "::") else bind
    url = f"http://{shown_host if ':' not in shown_host else '[' + shown_host + ']'}:{real_port}/"
    click.echo(f"pbp-toolkit serve: {url}  (files in {settings.data_dir}; Ctrl+C stops)", err=True)
    if shared:
        click.echo(f"sign-in token: {access.token}" + ("  (or the password in PBP_WEB_PASSWORD)" if password else ""), err=True)
    if not no_browser:
        threading.Timer(0.5, lambda: webbrowser.open(url)).start()
    try:
        server.serve_forever()  # type: ignore[attr-defined]
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
