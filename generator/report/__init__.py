"""Front-end-agnostic workbook actions and their report sheets (the command line and the add-in share them)."""
