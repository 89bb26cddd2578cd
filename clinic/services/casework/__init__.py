"""What staff do with requests: one request's workflow, the queue, its tallies, the CSV export, the agenda."""
