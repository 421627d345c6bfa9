"""Conformance suites' machinery: requirements on tests, expected results, adapters, the report."""
