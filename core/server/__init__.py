"""Fireside's local OpenAI-compatible server (issue 17): other programs on this computer use
the models through the API their official clients speak. No Qt here: ``fireside-cli serve``
and (later) the window's Settings → Local server run the same code on the same engine client.
"""
