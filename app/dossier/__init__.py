"""Dossier: the case written up for a regulator, 12378, an industry association or the police."""
