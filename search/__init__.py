"""Danish full-text search: a whoosh index kept as a projection of the event log (issue 4)."""
