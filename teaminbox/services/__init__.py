"""The office's rules, one function per use case, over the layers below (never flask)."""
