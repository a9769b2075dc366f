"""The local demo portal: two city sites in real CMS templates, switched between states."""

from tests.portal.server import Portal

__all__ = ["Portal"]
