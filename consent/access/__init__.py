"""Who may do what: API and session authentication, sign-in, consent and API
tokens, accounts, the access log and rate limits.
"""
