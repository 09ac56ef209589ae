"""Writes for the members app, one module per area:

* ``accounts`` — a person's own account;
* ``profiles`` — organisation and person profiles, photos and logos;
* ``joining`` — applications to join, approval, organisation join requests, invitations, leaving;
* ``listings`` — fresh listings (yearly confirmation of an organisation's details).
"""
