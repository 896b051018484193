"""The demo: a sample owner page, the ``demo`` command and the five reference sites."""
