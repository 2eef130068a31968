"""The dialer: the only place that joins the engines (flow, telephony) to the store."""
