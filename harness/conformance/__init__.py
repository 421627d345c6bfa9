"""Conformance suites' machinery: requirements on tests, expected results, adapters, the report."""

# The SRTP implementation under test unless --srtp-adapter names another (harness.conformance.srtp_adapters).
DEFAULT_ADAPTER = "pylibsrtp"
