"""Where a scan starts when no start URL is asked for: each allowed origin's ``/``, except
the service's own origin (the demo's), whose ``/`` is the service's landing page: there the
site's demo page."""

from __future__ import annotations

from consent.scans.plans import is_service_origin, start_urls

SERVICE = "http://127.0.0.1:5000"


def test_the_services_origin_and_its_loopback_names_start_at_the_demo_page() -> None:
    # `make run`: the demo site allows 127.0.0.1 and localhost, both the service itself.
    origins = ["https://shop.example", "http://localhost:5000", SERVICE]
    assert start_urls([], origins, SERVICE, "KEY") == (
        "http://127.0.0.1:5000/demo/KEY",
        "http://localhost:5000/demo/KEY",
        "https://shop.example/",
    )
    # Asked-for URLs are kept; without the service's origin, every origin's "/".
    assert start_urls([f"{SERVICE}/"], origins, SERVICE, "KEY") == (f"{SERVICE}/",)
    assert start_urls([], origins, "https://consent.example", "KEY") == (
        f"{SERVICE}/",
        "http://localhost:5000/",
        "https://shop.example/",
    )


def test_only_the_same_server_is_the_services_origin() -> None:
    assert is_service_origin("http://LOCALHOST:5000", SERVICE)
    assert is_service_origin("http://[::1]:5000", "http://localhost:5000")
    assert not is_service_origin("http://localhost:5001", SERVICE)  # a reference site
    assert not is_service_origin("https://localhost:5000", "http://localhost:5000")
    assert not is_service_origin("https://shop.example", "https://consent.example")
    assert is_service_origin("https://consent.example", "https://consent.example:443")
