"""The intake: which questions to ask, and the terminal interview against the record store."""
