"""Package discovery for setuptools (the rest of the configuration is in pyproject.toml).

The code packages are found, not listed, so a new subpackage of generator/ or macros/ is
installed without anyone remembering to add it. templates/ stays at the top of the repository
and is installed as the data package generator.templates (pyproject.toml's package-dir maps
it); its folders hold only data, so they are found as namespace packages and named under
generator.templates. tests/test_release.py builds the wheel and checks every folder is in it.
"""
from setuptools import find_namespace_packages, setup

SKIP = ["*__pycache__*", "*.egg-info*"]
code = find_namespace_packages(include=["generator", "generator.*", "macros", "macros.*"], exclude=SKIP)
templates = ["generator.templates"] + [f"generator.templates.{name}" for name in find_namespace_packages("templates", exclude=SKIP)]

setup(packages=code + templates)
