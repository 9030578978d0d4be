"""Builders of bad submission files for tests/test_bad_input.py; big files are made at test time."""
