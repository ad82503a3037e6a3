"""Danish full-text search: each node's whoosh index, a projection of the event log.

- `schema`: the index's fields and the Danish analysis;
- `documents`: what the index keeps of a page, and its whoosh document;
- `indexing`: how a batch of events changes the documents;
- `index`: the index on disk: opening, repairing, searchers, applying batches;
- `indexer`: a node's index and its projector, wired from the settings;
- `parsing`: what a reader types, read into clauses;
- `postings`: decoded postings as bitsets, and the caches;
- `engine`: matching, facets and ranking on one searcher;
- `results`: a search request and its results (hits, snippets, related pages, facets).
"""
