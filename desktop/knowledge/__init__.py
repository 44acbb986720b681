"""The knowledge panel: documents, collections, ingestion jobs and their saved state."""
