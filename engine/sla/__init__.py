"""Deadline clocks of the regulation's steps, in working time."""
