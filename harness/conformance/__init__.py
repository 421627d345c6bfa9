"""Conformance suites' machinery: the suite registry, requirements on tests, expected results, adapters, the report."""
