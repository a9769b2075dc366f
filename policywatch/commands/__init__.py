"""One module per `policywatch` sub-command.

Each module defines `register(subparsers)`, which adds its parser and sets `func` to a
callable taking the parsed args and returning an exit code. The CLI discovers the modules,
so adding a command never touches another command's file.
"""
