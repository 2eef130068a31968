"""Pure scheduling code shared by the API and the dialer: pause windows and retry
strategies. No database, no settings."""
