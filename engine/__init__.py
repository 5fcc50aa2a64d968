"""The domain of the field-report service. Nothing below this package imports Flask."""
