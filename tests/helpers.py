"""Helpers for repeated flows in HTTP tests."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

ORIGIN = "https://shop.example"


class Visitor:
    """A visitor on the owner's site: reads the config, records choices, asks the gate."""

    def __init__(self, client: FlaskClient, site_key: str, origin: str = ORIGIN) -> None:
        self.client = client
        self.site_key = site_key
        self.origin = origin
        self.token: str | None = None
        self.base = f"/api/v1/sites/{site_key}"

    def config(self, **params: str) -> dict[str, Any]:
        response = self.client.get(f"{self.base}/config", query_string=params)
        assert response.status_code == 200, response.json
        return response.json  # type: ignore[return-value]

    def consent_body(self, action: str, **extra: Any) -> dict[str, Any]:
        config = self.config()
        body: dict[str, Any] = {
            "action": action,
            "policy_version": config["policy_version"],
            "policy_hash": config["policy_hash"],
            "language": config["language"],
            "page_url": "https://shop.example/products?id=7#top",
        }
        if self.token:
            body["token"] = self.token
        body.update(extra)
        return body

    def post(self, body: Any, headers: dict[str, str] | None = None, **kwargs: Any):  # type: ignore[no-untyped-def]
        return self.client.post(
            f"{self.base}/consents",
            json=body,
            headers={"Origin": self.origin, **(headers or {})},
            **kwargs,
        )

    def choose(
        self, action: str, headers: dict[str, str] | None = None, **extra: Any
    ) -> dict[str, Any]:
        response = self.post(self.consent_body(action, **extra), headers=headers)
        assert response.status_code == 201, response.json
        self.token = response.json["token"]
        return response.json["receipt"]  # type: ignore[no-any-return]

    def gate(
        self, *vendors: str, headers: dict[str, str] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        params = {"vendors": ",".join(vendors)}
        chosen = token if token is not None else self.token
        if chosen is not None:
            params["token"] = chosen
        response = self.client.get(f"{self.base}/gate", query_string=params, headers=headers or {})
        assert response.status_code == 200, response.json
        return response.json  # type: ignore[no-any-return]
