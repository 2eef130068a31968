"""Jobs (one per contact to call), attempts, single call requests and call reports."""
