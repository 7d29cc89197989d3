"""Data shipped with softsim: the French communes table, their outlines, and attribution."""
