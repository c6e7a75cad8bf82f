"""Cited question answering over a French market report on AI in healthcare in China."""
