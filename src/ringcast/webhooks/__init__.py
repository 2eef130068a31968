"""Webhooks: signed event notifications (`call.completed`, `execution.*`), retried with backoff.

Public surface:
- `outbox.publish(session, events)`: called by whoever changes state, inside
  the same transaction; writes one delivery row per matching subscription;
- `worker.DeliveryWorker`: claims due deliveries, POSTs them signed
  (`signing.py`), retries with backoff (`backoff.py`); run by the dialer;
  connects only to public addresses unless allowed (`netguard.py`, the SSRF guard);
- `endpoints.router`: `/api/webhooks` CRUD, deliveries, test event.
"""
