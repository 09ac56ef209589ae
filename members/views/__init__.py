"""Views for the members app, one module per area."""
