"""The clinic's rules: reading them (settings, hours, closures) and changing them safely."""
