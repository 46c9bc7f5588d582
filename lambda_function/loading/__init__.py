"""The loading stage: COPY of the checked blocks into the table, inside one transaction with the ledger entry,
under the object and table locks; the table created from its contract when missing."""
