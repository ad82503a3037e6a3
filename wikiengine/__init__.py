"""Innovationswiki's domain and application.

Aggregates (`pages`, `authors`, `keyring`), their signed events (`signed`, `attribution`,
`signing`), the application service that enforces who may do what (`application`), the
3-way merge of edit conflicts (`merge`), the export format and its verifier (`export`,
`verify`), configuration (`config`) and the command line, the composition root (`cli`).
Nothing here but `cli` knows about `storage`, `search` or `web`.
"""
