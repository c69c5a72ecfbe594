"""The web layer: blueprints, forms and template glue. Thin: it calls services."""
