"""``/``: what this service is, and where to go from here (the UIs, the API, the demo)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from consent.demo.server import demo_sites

bp = Blueprint("landing", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    """The landing page; it links the demo pages when ``consent demo`` set them up here."""
    return render_template("landing.html", demos=demo_sites())
