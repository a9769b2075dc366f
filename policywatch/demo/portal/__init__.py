"""The local demo portal: two city sites in real CMS templates, switched between states."""

from policywatch.demo.portal.server import Portal

__all__ = ["Portal"]
