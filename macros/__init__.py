"""The xlwings add-in of the Place-Based Partnerships Toolkit: Python entry points (actions.py),
the workbook interface (book.py), and the build of the .xlam/.xlsm (build_addin.py, ovba.py, cfb.py).
See macros/README.md."""
