"""Result exports: one row per contact of one or more executions.

`repository.py` reads jobs, contacts, attempts and recordings in keyset batches;
`columns.py` decides the columns (contact fields, custom attributes, each DTMF
node's keys, each flow variable) from the organization's attributes and the
executions' pinned flow graphs, before the first row; `rows.py` turns a batch
into rows; `writers.py` writes CSV (spreadsheet-safe cells) or XLSX; `jobs.py`
runs an export in the background into a file under the data dir, and
`endpoints.py` is `/api/exports`. Memory stays bounded by one batch whatever the
size of the execution.
"""
