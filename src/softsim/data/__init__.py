"""Data shipped with softsim (the French communes file and its attribution)."""
