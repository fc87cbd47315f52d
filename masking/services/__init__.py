"""The writes. Every function takes keyword-only arguments, validates with `full_clean()` and
raises `django.core.exceptions.ValidationError` keyed by the field the caller typed."""
