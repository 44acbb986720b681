"""Knowledge: a person's documents, parsed, chunked, embedded and indexed, for grounded answers.

Modules: ``readers/`` (one per file format), ``chunking``, ``terms`` (full-text terms),
``store`` (SQLite, the source of truth), ``vectors`` (Chroma, an index rebuilt from the
store), ``embedder`` (the engine's embedding model), ``collections``, ``ingest`` (the
resumable job), ``retrieval`` (hybrid BM25 + vector search), ``grounding`` (numbered sources
in a chat turn), ``knowledge_base`` (the store and index together) and ``cli``.
"""
