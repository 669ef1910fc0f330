"""``tripod serve``: the clinic's web front end (pages for a tablet and a JSON API), on the same
screening service, questions, checks, rules and store as the command line."""
