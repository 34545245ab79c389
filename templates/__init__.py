"""The toolkit's content, example data files and example roster (data only).

Installed as the package `generator.templates` (see pyproject.toml), so the code finds these
files with importlib.resources wherever the toolkit is installed.
"""
