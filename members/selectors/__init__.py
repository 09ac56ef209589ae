"""Reads for the members app, one module per area (``directory``, ``coordinator``)."""
