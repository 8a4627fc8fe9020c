"""Atelier's benchmark harness: Atelier side by side with the anchors (see bench/README.md)."""
