"""What the templates of every area share beyond Flask's defaults: the ``timestamp`` and
``setting_label`` filters."""

from __future__ import annotations

from flask import Flask
from markupsafe import Markup

from consent.core.times import readable_utc


def timestamp(stamp: str) -> Markup:
    """A stored timestamp as ``<time>``: readable UTC, the exact value in ``datetime`` and
    ``title``; static/shared/local-time.js rewrites the text in the viewer's time zone."""
    element = Markup('<time datetime="{0}" title="{0}" data-local-time>{1}</time>')
    return element.format(stamp, readable_utc(stamp))  # format escapes both values


def setting_label(name: str) -> str:
    """A vendor setting's name for people: ``measurement_id`` reads "Measurement ID"."""
    words = " ".join("ID" if word == "id" else word for word in name.split("_"))
    return words[:1].upper() + words[1:]


def init_app(app: Flask) -> None:
    """Register the filters on the app's Jinja environment."""
    app.add_template_filter(timestamp)
    app.add_template_filter(setting_label)
