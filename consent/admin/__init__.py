"""The owner's side: the /api/v1/admin/… API and the /admin/ web UI."""
