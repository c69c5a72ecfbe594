"""Fanning events out to every subscriber: in-process, or through Redis."""
