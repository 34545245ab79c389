"""The web page for program officers (pbp-toolkit serve): another front end over batch, collect and history."""
