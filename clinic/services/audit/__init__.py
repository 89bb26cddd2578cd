"""The audit log: recording events and reading them back in words."""
