"""The reader's compute service, as middleware/healthcheck.rst names it (``compute.health:database``)."""
