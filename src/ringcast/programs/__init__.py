"""Programs (campaign definitions) and their executions (one launch each)."""
