"""Fault tests (issue #8): consent data survives crashes, outages, tampering and load."""
