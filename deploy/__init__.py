"""The reference deployment: nginx and systemd files, the environment example, and
``topology.py``, which brings the whole topology up on one machine (also run as a script)."""
