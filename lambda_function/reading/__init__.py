"""The reading stage: exactly the object an event names, streamed (gunzipped when `.gz`), cut into
record-aligned blocks whose structure is checked before any value is looked at, and its header."""
