"""The harness's own error: bad input to it is one line and exit status 2, never a traceback."""


class UsageError(Exception):
    """Bad input to the harness itself: reported as one line, exit status 2."""
