"""Evidence: uploaded files stored by their SHA-256, and the integrity check of a case's record."""
