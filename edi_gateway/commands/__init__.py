"""One module per ``edi-gateway`` command: ``add_parser(subparsers)`` and ``run(args) -> int``."""
