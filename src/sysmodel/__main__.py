"""``python -m sysmodel`` runs the command line."""

from .cli import main

main()
