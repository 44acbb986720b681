"""A chat: the sidebar list, the message view, the composer, Markdown rendering, and the
conversation that runs replies on the engine lane."""
