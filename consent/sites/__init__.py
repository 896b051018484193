"""Sites and their policy: site state and the per-worker cache, drafts and the one
publish, the owner's settings and their validation, members.
"""
