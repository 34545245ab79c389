"""The web page for program officers: Send, Collect, Portfolio and Partnership.

Another front end beside the command line and the add-in, over the same functions: the
roster is read and checked by generator.batch, the workbooks built by batch.run_batch, the
returned files read by readback.collect and recorded by the round book (rounds.py) over
the portfolio store; nothing here computes a figure of its own. Long work runs as a job
off the request thread (jobs.py) and the page polls its progress with HTMX.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, current_app, redirect, render_template, request, send_file, url_for
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .jobs import Job, Jobs
from .security import Access, csrf_token, install, session_secret
from .uploads import UploadLimits, take_in

_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
ROSTER_SUFFIXES = (".csv", ".xlsx")


@dataclass
class Settings:
    """One server's settings: where it keeps its files, which database, who may come in."""

    data_dir: Path
    db: str | None = None
    access: Access = field(default_factory=Access)
    limits: UploadLimits = field(default_factory=UploadLimits)
    build_workers: int | None = None
    collect_workers: int | None = None
    job_threads: int = 2


def _site() -> "Site":
    return current_app.extensions["pbp_site"]


class Site:
    """What the pages share: the settings, the jobs, the round book."""

    def __init__(self, settings: Settings):
        from .rounds import RoundBook

        self.settings = settings
        self.jobs = Jobs(settings.job_threads)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        for sub in ("sends", "uploads", "downloads"):
            (settings.data_dir / sub).mkdir(exist_ok=True)
        self.rounds = RoundBook(settings.data_dir, settings.db, settings.collect_workers)

    def folder(self, kind: str, token: str) -> Path:
        """A folder of ours named by a token we made: a token that is not one of ours is a 404, never a path."""
        if not _ID.match(token):
            abort(404)
        return self.settings.data_dir / kind / token


def create_app(settings: Settings) -> Flask:
    """The Flask application for these settings."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),
        MAX_CONTENT_LENGTH=settings.limits.max_request_bytes,
        MAX_FORM_PARTS=settings.limits.max_files + 20,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_NAME="pbp_session",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=settings.access.session_hours),
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.jinja_env.autoescape = True
    app.extensions["pbp_site"] = Site(settings)
    install(app, settings.access)
    app.jinja_env.globals.update(csrf_token=csrf_token, signing_in=lambda: settings.access.sign_in)
    _routes(app)
    return app


def _page(name: str, **values: Any) -> str:
    return render_template(name, **values)


def _routes(app: Flask) -> None:  # noqa: C901 - one place lists every page
    from . import views

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int]:
        if isinstance(exc, RequestEntityTooLarge):
            lim = _site().settings.limits
            exc.description = (f"This upload is larger than the {lim.max_request_bytes // (1024 * 1024)} MiB one request may bring "
                               f"(or has more than {lim.max_files} files). Send it in parts.")
        code = exc.code or 500
        return _page("error.html", code=code, title=exc.name, message=exc.description), code

    @app.get("/")
    def home() -> Any:
        return redirect(url_for("send"))

    # ------------------------------------------------------------------ sign-in

    @app.route("/sign-in", methods=["GET", "POST"])
    def sign_in() -> Any:
        if not _site().settings.access.sign_in:
            return redirect(url_for("send"))
        error = ""
        if request.method == "POST":
            if app.extensions["pbp_sign_in"](request.remote_addr or "", request.form.get("secret", "")):
                nxt = request.args.get("next", "")
                return redirect(nxt if re.match(r"^/[A-Za-z0-9/_.-]*$", nxt) and not nxt.startswith("//") else url_for("send"))
            error = "That token or password is not right (or there were too many tries: wait ten minutes)."
        return _page("sign_in.html", error=error), (401 if error else 200)

    @app.post("/sign-out")
    def sign_out() -> Any:
        from flask import session

        session.clear()
        return redirect(url_for("sign_in") if _site().settings.access.sign_in else url_for("send"))

    # ------------------------------------------------------------------ Send

    @app.get("/send")
    def send() -> str:
        return _page("send.html")

    @app.post("/send/check")
    def send_check() -> Any:
        up = request.files.get("roster")
        if up is None or not up.filename:
            return _page("send.html", error="Choose a roster file (.csv or .xlsx) first."), 400
        from .security import display_name

        shown = display_name(up.filename)
        suffix = Path(shown).suffix.lower()
        if suffix not in ROSTER_SUFFIXES:
            return _page("send.html", error=f"“{shown}” is not a roster: a roster is a .csv or .xlsx file."), 400
        token = secrets.token_urlsafe(16)
        folder = _site().folder("sends", token)
        intake = take_in([(f"roster{suffix}", up.stream)], folder, _site().settings.limits, expand_zips=False)
        if not intake.kept:
            return _page("send.html", error=f"“{shown}”: {intake.files[0].refused}"), 400
        (folder / "name.txt").write_text(shown, encoding="utf-8")
        check = views.check_roster(intake.kept[0].path)  # type: ignore[arg-type]
        return _page("send_check.html", token=token, shown=shown, check=check), (200 if check.usable else 400)

    @app.post("/send/build")
    def send_build() -> Any:
        token = request.form.get("token", "")
        folder = _site().folder("sends", token)
        rosters = [p for p in folder.glob("00001-roster.*")] if folder.is_dir() else []
        if not rosters:
            abort(404, "That roster is no longer here: upload it again.")
        roster = rosters[0]
        site = _site()

        def work(job: Job) -> Any:
            from ..batch import run_batch

            def step(done: int, total: int) -> None:
                job.done, job.total = done, total

            out = folder / "workbooks"
            batch = run_batch(roster, out, workers=site.settings.build_workers, progress=False,
                              on_progress=step, data_files=False)
            job.done = job.total = max(job.total, len(batch.built))
            return views.zip_batch(batch, folder / "workbooks.zip")

        job = site.jobs.start("batch", "Building the workbooks", work, owner=_owner())
        return redirect(url_for("job_page", job_id=job.id), code=303)

    @app.get("/send/<token>/workbooks.zip")
    def send_download(token: str) -> Response:
        target = _site().folder("sends", token) / "workbooks.zip"
        if not target.is_file():
            abort(404)
        return send_file(target, mimetype="application/zip", as_attachment=True, download_name="workbooks.zip")

    # ------------------------------------------------------------------ Collect

    @app.get("/collect")
    def collect_page() -> str:
        return _page("collect.html", rounds=_site().rounds.rounds(), today=dt.date.today().isoformat())

    @app.post("/collect")
    def collect_upload() -> Any:
        site = _site()
        label = " ".join(request.form.get("round", "").split())[:100]
        as_of_text = request.form.get("as_of", "").strip()
        errors = []
        if not label:
            errors.append("Name the round (for example “2026 spring”).")
        as_of = None
        if as_of_text:
            try:
                as_of = dt.date.fromisoformat(as_of_text)
            except ValueError:
                errors.append(f"The as-of date “{as_of_text}” is not a date written YYYY-MM-DD.")
        files = [f for f in request.files.getlist("files") if f.filename]
        if not files:
            errors.append("Choose the returned workbooks (or a zip of them) to upload.")
        if errors:
            return _page("collect.html", rounds=site.rounds.rounds(), errors=errors, label=label, as_of=as_of_text,
                         today=dt.date.today().isoformat()), 400
        token = secrets.token_urlsafe(16)
        intake = take_in(((f.filename, f.stream) for f in files), site.folder("uploads", token), site.settings.limits)

        def work(job: Job) -> Any:
            return site.rounds.collect(label, as_of, intake, job)

        job = site.jobs.start("collect", f"Reading the files for round “{label}”", work, owner=_owner())
        return redirect(url_for("job_page", job_id=job.id), code=303)

    # ------------------------------------------------------------------ jobs

    @app.get("/jobs/<job_id>")
    def job_page(job_id: str) -> Any:
        job = _site().jobs.get(job_id) if _ID.match(job_id) else None
        if job is None or job.owner != _owner():
            abort(404, "No such piece of work (it may have ended long ago).")
        template = "job_fragment.html" if request.headers.get("HX-Request") else "job.html"
        return _page(template, job=job)

    # ------------------------------------------------------------------ Portfolio

    @app.get("/rounds")
    def rounds_page() -> Any:
        rounds = _site().rounds.rounds()
        if rounds and not request.args.get("all"):
            return redirect(url_for("portfolio_page", label=rounds[-1].label))
        return _page("rounds.html", rounds=rounds)

    @app.get("/rounds/<path:label>")
    def portfolio_page(label: str) -> Any:
        book = _site().rounds
        view = views.portfolio_view(book, label, request.args)
        if view is None:
            abort(404, "No round of that name.")
        return _page("portfolio.html", v=view, rounds=book.rounds())

    @app.get("/download/<path:label>/<what>")
    def download(label: str, what: str) -> Any:
        book = _site().rounds
        if what == "history.xlsx":
            path = book.history_file()
            return send_file(path, as_attachment=True, download_name="history.xlsx",
                             mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        if book.round(label) is None:
            abort(404, "No round of that name.")
        if what == "portfolio.xlsx":
            path = book.portfolio_file(label)
            return send_file(path, as_attachment=True, download_name=f"portfolio-{views.slug(label)}.xlsx",
                             mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        if what in ("portfolio.csv", "benchmarks.csv", "problems.csv"):
            path = book.csv_file(label, what)
            return send_file(path, as_attachment=True, download_name=f"{Path(what).stem}-{views.slug(label)}.csv",
                             mimetype="text/csv")
        if what == "portfolio.pdf":
            pdf = book.pdf_file(label, wait=False)
            if pdf is None:
                site = _site()
                ready = url_for("download", label=label, what="portfolio.pdf")

                def work(job: Job) -> str:
                    book.pdf_file(label, wait=True, job=job)
                    return ready

                job = site.jobs.start("pdf", f"Printing the portfolio of “{label}” to PDF", work, owner=_owner())
                return redirect(url_for("job_page", job_id=job.id), code=303)
            return send_file(pdf, as_attachment=True, download_name=f"portfolio-{views.slug(label)}.pdf", mimetype="application/pdf")
        abort(404)

    # ------------------------------------------------------------------ Partnership

    @app.get("/partnerships")
    def partnerships_page() -> str:
        return _page("partnerships.html", people=_site().rounds.partnerships())

    @app.get("/partnerships/<path:pid>")
    def partnership_page(pid: str) -> Any:
        view = views.partnership_view(_site().rounds, pid)
        if view is None:
            abort(404, "No partnership with that id.")
        return _page("partnership.html", v=view)


def _owner() -> str:
    """Who started a job: this session (made on first use), so one officer's work is not another's."""
    return session_secret("owner", 12)


def default_data_dir() -> Path:
    """Where the page keeps uploads and builds: PBP_WEB_DATA, else a folder in the user's data home."""
    env = os.environ.get("PBP_WEB_DATA")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "pbp-toolkit" / "web"


__all__ = ["create_app", "Settings", "Site", "default_data_dir"]
