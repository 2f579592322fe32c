"""French display formats for numbers and dates (Django's FORMAT_MODULE_PATH)."""
