"""Helpers shared by the test suite: databases to test on, and row factories."""
