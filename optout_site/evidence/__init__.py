"""Evidence that a reservation was published: records, their ledger, timestamps, checks.

``build`` appends a record per site (:mod:`.ledger`) of what it left published
(:mod:`.record`), optionally timestamped by an RFC 3161 authority (:mod:`.tsa`);
``optout-site evidence`` verifies (:mod:`.verify`), shows (:mod:`.show`) and has them
archived (:mod:`.archive`). docs/evidence.md says what a record is worth, and why.
"""
