"""The suites. Every module here that does not start with ``_`` is imported on first
use and registers its suite(s) with ``bench.registry.register_suite``."""
