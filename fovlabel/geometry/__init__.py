"""Pure maths on arrays: sectors (2D fields of view) and geodesy (GPS -> metric)."""
