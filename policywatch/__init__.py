"""policywatch: watch Chinese government policy pages change."""

__version__ = "0.1.0"
