"""Pages served by the server. Each page is a static HTML file plus its JS/CSS (no inline scripts:
pages carry a strict Content-Security-Policy); data comes from /api over fetch and SSE.

Pages of caller/ and display/ live in those folders (they only talk HTTP); the server serves
their files, it does not import them.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DIRS = {
    "web": HERE / "static",
    "caller": ROOT / "caller" / "static",
    "display": ROOT / "display" / "static",
}
# URL -> (folder, file)
PAGES = {
    "/": ("web", "index.html"),
    "/caller": ("caller", "caller.html"),
    "/evaluator/<int:window>": ("caller", "evaluator.html"),
    "/display": ("display", "display.html"),
    "/wall": ("display", "wall.html"),
    "/dashboard": ("web", "dashboard.html"),
    "/manager/cases": ("web", "cases.html"),
    "/book": ("web", "book.html"),
    "/t/<token>": ("web", "track.html"),
    "/admin": ("web", "admin.html"),
    "/desk": ("web", "desk.html"),
    "/assist": ("web", "assist.html"),
    "/guide": ("web", "guide.html"),
    "/n/<token>": ("web", "notice.html"),
    "/manager/assist": ("web", "assist-list.html"),
}
FONT_CANDIDATES = [
    HERE / "static" / "fonts" / "hallq-cjk.ttf",
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
]

bp = Blueprint("web", __name__)


def _page_view(folder: str, filename: str):
    def view(**_kw):
        path = DIRS[folder] / filename
        if not path.exists():
            abort(404, description=f"page not installed: {filename}")
        resp = send_from_directory(DIRS[folder], filename, mimetype="text/html")
        resp.headers["Cache-Control"] = "no-cache"
        return resp
    return view


for _rule, (_folder, _file) in PAGES.items():
    bp.add_url_rule(_rule, endpoint="page_" + _file.replace(".", "_") + str(len(_rule)),
                    view_func=_page_view(_folder, _file))


@bp.get("/static/<path:filename>")
def web_static(filename):
    return send_from_directory(DIRS["web"], filename, max_age=300)


@bp.get("/caller/static/<path:filename>")
def caller_static(filename):
    return send_from_directory(DIRS["caller"], filename, max_age=300)


@bp.get("/display/static/<path:filename>")
def display_static(filename):
    return send_from_directory(DIRS["display"], filename, max_age=300)


@bp.get("/fonts/cjk")
def cjk_font():
    """A local CJK font for pages on machines without one (no web-font CDN in a hall)."""
    for path in FONT_CANDIDATES:
        if path.exists():
            return send_from_directory(path.parent, path.name, mimetype="font/collection",
                                       max_age=86400)
    abort(404, description="no CJK font installed (apt-get install fonts-wqy-microhei)")


@bp.get("/favicon.ico")
def favicon():
    return send_from_directory(DIRS["web"], "favicon.svg", mimetype="image/svg+xml", max_age=86400)
