"""Tripod's screenings as FHIR R4B: a Bundle of the case and its reasoning (``bundle.py``), the
intake as an SDC Questionnaire (``questionnaire.py``) and Tripod's own checks of a Bundle that no
library does (``checks.py``). Built with ``fhir.resources.R4B``; at the level of ``reports``."""
