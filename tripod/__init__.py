"""The Tripod application: the screening service, the intake, batch runs and the command line."""
