"""Assets, one concern per module."""
