"""Place-Based Partnerships Toolkit: formula-driven Excel workbooks for backbone organisations."""
__version__ = "0.1.0"
