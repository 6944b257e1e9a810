"""``python -m edi_gateway`` runs the command line."""

from edi_gateway.cli import main

raise SystemExit(main())
