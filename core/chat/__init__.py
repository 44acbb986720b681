"""Conversations: the SQLite message tree, the context stack, sessions and export."""
