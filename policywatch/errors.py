"""The two ways a command ends early, mapped to the exit codes of the command contract."""


class UsageError(Exception):
    """Bad input or usage: exit 2 with this one-line message (name the file or field)."""

    exit_code = 2


class ProblemFound(Exception):
    """The command ran and found a problem (a failed crawl, an undeliverable digest): exit 1."""

    exit_code = 1
