#!/usr/bin/env python3
"""manage.py of the NetBox-like Django REST framework test API (see
netbox_like/settings.py). Run with Debian's /usr/bin/python3."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netbox_like.settings")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)
