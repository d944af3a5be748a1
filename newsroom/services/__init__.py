"""Every state change of the staff side, one module per family.

Each function validates, saves with ``update_fields`` inside one transaction and
writes an audit event (``audit.audit``, the only writer of audit rows). Key
derivations run before any transaction opens. Private keys pass through as
arguments only: never stored unwrapped, logged or put in an exception message.
"""
