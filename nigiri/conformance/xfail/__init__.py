"""Known-failure lists, one ``<backend>.txt`` per backend family (package data)."""
