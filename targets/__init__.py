"""The fuzz targets: one module per target, each defining `target`; _modules are their shared helpers."""
