"""The public side: the embed, the visitor API (config, consents, gate, /me) and
the transparency log's read API.
"""
