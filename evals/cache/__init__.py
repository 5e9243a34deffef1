"""The request cache: a model's answers stored per request, so a run resumes after a crash and a
repeated run loads no model."""
