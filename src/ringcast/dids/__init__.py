"""DIDs: the organization's phone numbers, used as caller ids and for inbound routing."""
