"""Flows (`/api/flows`): saved graphs with immutable versions, and `/flows/execute`."""
