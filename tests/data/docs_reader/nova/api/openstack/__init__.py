"""Stand-ins for the nova factories that a nova-era ``api-paste.ini`` names (docs/deploy/migration.rst's
"before" file), with nova's signatures: what a reader who has not migrated yet still runs."""
