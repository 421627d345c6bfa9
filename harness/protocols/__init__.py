"""Independent, spec-derived protocol codecs and data; they know nothing of engines."""
