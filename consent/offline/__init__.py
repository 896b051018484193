"""Tools an auditor runs without our server or Flask: ``verify-export`` and
``monitor``.
"""
