"""Flask-Admin views over the configuration (issue 6)."""
