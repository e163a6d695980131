"""A small client for the WordPress REST API: what publishing an article needs.

Authentication is an Application Password (HTTP Basic), which WordPress accepts only
over HTTPS (or on a site in its "local" environment). The API root is discovered from
the site's `Link: <…>; rel="https://api.w.org/"` header, so sites without pretty
permalinks (whose root is /?rest_route=/) work as well. Every failure becomes an error
that says what to do: a refused login (401), a user without the rights (403), an upload
over the site's limit (413), or the site down or slow (try again later).
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from intake.core.config import WordPressSection
from intake.core.deadline import Deadline
from intake.core.errors import ExitCode, IntakeError, TemporaryFailure

_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="https://api\.w\.org/"')
# An answer bigger than this is not one the API gives to these calls.
_MAX_ANSWER = 16 * 1024 * 1024


class PublishError(IntakeError):
    """WordPress refused: a person must fix something (the login, a role, a limit)."""


class TooLarge(PublishError):
    exit_code = ExitCode.NEEDS_ATTENTION


class SiteUnavailable(TemporaryFailure):
    """The site is down, slow or erring: nothing was published; try again later."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """urllib would follow a redirect with the Authorization header, to any host: the
    API is never redirected, so a redirect is refused (and said) instead."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> None:
        return None


class _Watched:
    """HTTP(S) connections whose sockets a Deadline watches: urllib's timeout bounds
    each read, the deadline the whole exchange (core.deadline)."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline

    def connection(self, base: type[http.client.HTTPConnection]) -> Any:
        deadline = self.deadline

        class Connection(base):  # type: ignore[misc,valid-type]
            def connect(self) -> None:
                super().connect()
                deadline.watch(self.sock)

        return Connection


class _Http(urllib.request.HTTPHandler):
    def __init__(self, watched: _Watched) -> None:
        super().__init__()
        self.watched = watched

    def http_open(self, req: Any) -> Any:
        return self.do_open(self.watched.connection(http.client.HTTPConnection), req)


class _Https(urllib.request.HTTPSHandler):
    def __init__(self, watched: _Watched) -> None:
        super().__init__()
        self.watched = watched

    def https_open(self, req: Any) -> Any:
        return self.do_open(self.watched.connection(http.client.HTTPSConnection), req,
                            context=self._context)  # type: ignore[attr-defined]


def _opener(deadline: Deadline) -> urllib.request.OpenerDirector:
    watched = _Watched(deadline)
    return urllib.request.build_opener(_NoRedirect, _Http(watched), _Https(watched))


def exchange_seconds(timeout: float, sent: int = 0) -> float:
    """The whole of one request and its answer: twice the per-read timeout, and time
    for an upload at 128 KiB/s (a slow line's pace)."""
    return 2 * timeout + sent / (128 * 1024)


@dataclass(frozen=True)
class Media:
    id: int
    url: str


class WordPress:
    def __init__(self, section: WordPressSection) -> None:
        self.section = section
        self.site = section.url.rstrip("/")
        password = section.credentials().password().replace(" ", "")
        token = base64.b64encode(f"{section.username}:{password}".encode()).decode()
        self._auth = f"Basic {token}"
        self._root: str | None = None

    # -- the API ----------------------------------------------------------------------

    def root(self) -> str:
        """The REST API root, from the site's Link header; /?rest_route=/ otherwise."""
        if self._root is None:
            found = None
            try:  # the site's own address only (checked https:// or loopback in settings)
                request = urllib.request.Request(self.site + "/", method="HEAD")  # noqa: S310
                with Deadline(exchange_seconds(self.section.timeout),
                              f"WordPress at {self.site}") as deadline, \
                        _opener(deadline).open(request, timeout=self.section.timeout) as answer:
                    found = _LINK.search(answer.headers.get("Link", "") or "")
            except urllib.error.HTTPError as exc:  # a 404 front page still names its API
                found = _LINK.search(exc.headers.get("Link", "") or "")
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                raise SiteUnavailable(f"WordPress at {self.site} could not be reached "
                                      f"({_reason(exc)}); nothing was published") from exc
            named = found.group(1) if found else ""
            # The password goes wherever the root is: only ever to the site itself.
            same = urllib.parse.urlsplit(named)[:2] == urllib.parse.urlsplit(self.site)[:2]
            self._root = named if named and same else self.site + "/?rest_route=/"
        return self._root

    def url(self, route: str, **query: str) -> str:
        """The address of a route (such as wp/v2/posts), with a query."""
        root = self.root()
        if "rest_route=" in root:
            base, _, start = root.partition("rest_route=")
            address = base + "rest_route=" + urllib.parse.quote(
                start.rstrip("/") + "/" + route, safe="/")
            return address + ("&" + urllib.parse.urlencode(query) if query else "")
        address = root.rstrip("/") + "/" + route
        return address + ("?" + urllib.parse.urlencode(query) if query else "")

    def call(self, method: str, route: str, body: Any = None, *, data: bytes | None = None,
             headers: dict[str, str] | None = None, **query: str) -> Any:
        """One request; its JSON answer. body: JSON to send; data: raw bytes (uploads)."""
        sent = data if data is not None else (
            json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(  # noqa: S310 - the site's own API root, as above
            self.url(route, **query), data=sent, method=method)
        request.add_header("Authorization", self._auth)
        request.add_header("Accept", "application/json")
        if body is not None:
            request.add_header("Content-Type", "application/json; charset=utf-8")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with Deadline(exchange_seconds(self.section.timeout, len(sent or b"")),
                          f"WordPress at {self.site} ({method} {route})") as deadline, \
                    _opener(deadline).open(request, timeout=self.section.timeout) as answer:
                return json.loads(answer.read(_MAX_ANSWER) or b"null")
        except urllib.error.HTTPError as exc:
            raise self._refused(exc, method, route, sent) from exc
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            raise SiteUnavailable(f"WordPress at {self.site} did not answer {method} "
                                  f"{route} ({_reason(exc)}); nothing more was sent") from exc

    def _refused(self, exc: urllib.error.HTTPError, method: str, route: str,
                 sent: bytes | None) -> IntakeError:
        detail = _detail(exc)
        who = self.section.username
        if exc.code == 401:
            return PublishError(f"WordPress refused the login of {who!r} ({detail}): check "
                                "[publish.wordpress] username and its Application Password "
                                "(Users → Profile → Application Passwords)")
        if exc.code == 403:
            return PublishError(f"WordPress does not let {who!r} do this ({method} {route}: "
                                f"{detail}): the user needs the editor role (upload files, "
                                "edit and publish posts)")
        if exc.code == 413:
            size = len(sent or b"") / 1024 / 1024
            return TooLarge(f"the site refused an upload of {size:.1f} MB as too large "
                            "(413): raise the site's upload limit (upload_max_filesize), or "
                            "make the image smaller")
        if 300 <= exc.code < 400:
            return PublishError(f"WordPress at {self.site} redirects {method} {route} to "
                                f"{exc.headers.get('Location', '?')}: set [publish.wordpress] "
                                "url to the address it redirects to")
        if exc.code >= 500 or exc.code == 429:
            return SiteUnavailable(f"WordPress at {self.site} answered {exc.code} to {method} "
                                   f"{route} ({detail}); try again later")
        return PublishError(f"WordPress answered {exc.code} to {method} {route}: {detail}")

    # -- what publishing needs ----------------------------------------------------------

    def me(self) -> dict[str, Any]:
        found = self.call("GET", "wp/v2/users/me", context="edit")
        return found if isinstance(found, dict) else {}

    def upload(self, name: str, data: bytes, mime: str, alt: str) -> Media:
        ascii_name = name.encode("ascii", "replace").decode().replace('"', "")
        made = self.call("POST", "wp/v2/media", data=data, headers={
            "Content-Type": mime,
            "Content-Disposition": f'attachment; filename="{ascii_name}"; '
                                   f"filename*=UTF-8''{urllib.parse.quote(name)}"})
        media = Media(int(made["id"]), str(made.get("source_url") or ""))
        if alt:
            self.call("POST", f"wp/v2/media/{media.id}", {"alt_text": alt})
        return media

    def term(self, taxonomy: str, name: str) -> int:
        """The id of a category or tag by its name, made when the site has none."""
        for found in self.call("GET", f"wp/v2/{taxonomy}", search=name, per_page="100") or []:
            if str(found.get("name", "")).strip().lower() == name.strip().lower():
                return int(found["id"])
        try:
            return int(self.call("POST", f"wp/v2/{taxonomy}", {"name": name})["id"])
        except PublishError as exc:  # made meanwhile: 400 term_exists names it
            cause = exc.__cause__
            if isinstance(cause, urllib.error.HTTPError) and cause.code == 400:
                existing = getattr(cause, "intake_body", {}).get("data", {}).get("term_id")
                if existing:
                    return int(existing)
            raise

    def save_post(self, post_id: int | None, fields: dict[str, Any]) -> dict[str, Any]:
        """Create a post, or update post_id; the post as WordPress has it now."""
        route = f"wp/v2/posts/{post_id}" if post_id else "wp/v2/posts"
        saved = self.call("POST", route, fields)
        return saved if isinstance(saved, dict) else {}

    def found(self, route: str) -> dict[str, Any] | None:
        """What the site has at route (a post, an image), as an editor sees it; None
        when it has it no more (deleted there since)."""
        try:
            answer = self.call("GET", route, context="edit")
        except PublishError as exc:
            cause = exc.__cause__
            if isinstance(cause, urllib.error.HTTPError) and cause.code in (404, 410):
                return None
            raise
        return answer if isinstance(answer, dict) else None


def _detail(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read(65536) or b"{}")
    except (ValueError, OSError):
        body = {}
    exc.intake_body = body if isinstance(body, dict) else {}  # type: ignore[attr-defined]
    if isinstance(body, dict) and body.get("message"):
        return f"{body.get('code', exc.code)}: {str(body['message'])[:300]}"
    return f"{exc.code} {exc.reason}"


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or exc
    return str(reason)[:300] or type(exc).__name__
