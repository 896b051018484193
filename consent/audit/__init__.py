"""The auditor's side: the /api/v1/audit/… API, the /audit/ web UI, and erasure requests."""
