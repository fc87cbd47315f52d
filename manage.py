#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masking.settings")
    # Commands run long jobs (migrations, sweeps, retention) that the web's statement timeout
    # would cut short; the development server is a web server and keeps it.
    if sys.argv[1:2] != ["runserver"]:
        os.environ.setdefault("MASKING_MANAGEMENT_COMMAND", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
