"""Results as data: what the commands found, before any formatting."""
