"""A corpus for tiergate's detector, written apart from it: Faker values in templates, and real text.

Nothing here was derived from `tiergate/detect.py` or its own corpus; see generate.py.
"""
