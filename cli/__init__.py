"""The command line: the same use cases for operators, scripts and tests."""
