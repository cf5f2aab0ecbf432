"""(public names are filled in as modules land)."""
