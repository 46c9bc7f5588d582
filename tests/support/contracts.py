"""A contract written for the tests, not shipped: every type and every constraint key a contract may use."""

from __future__ import annotations

from pathlib import Path

READINGS = r"""
match: "readings-*.csv"
table: readings
mode: append
primary_key: [site, reading_no]
dialect:
  delimiter: "\t"
columns:
  site:        {type: varchar(12), pattern: "[a-z]{2,4}-[0-9]{1,3}", pattern_message: site code}
  reading_no:  {type: integer, minimum: -50, maximum: 500000}
  code:        {type: text, unique: casefold, min_length: 4, max_length: 30}
  tiny:        {type: smallint, required: false}
  amount:      {type: "numeric(6,3)", minimum: -10.5, maximum: 99.999}
  ratio:       {type: real, minimum: -1, maximum: 1}
  big:         {type: double precision}
  flag:        {type: boolean, required: false}
  day:         {type: date, minimum: "2020-01-01", maximum: today}
  future_day:  {type: date, minimum: today, required: false}
  at:          {type: timestamptz, minimum: "2021-01-01T00:00:00Z", maximum: now}
  local_at:    {type: timestamp, maximum: "2030-12-31T23:59:59"}
  id:          {type: uuid}
  label:       {type: char(5)}
  note:        {type: text, trim: true, min_length: 1, max_length: 80, required: false}
  colour:      {type: text, enum: [red, green, "blue, dark", 'say "hi"']}
  contact:     {type: text, format: email, unique: true}
  person_name: {type: varchar(60)}
"""


def write_readings(folder: Path) -> Path:
    """READINGS as ``folder/readings.yaml``; returns the folder."""
    (folder / "readings.yaml").write_text(READINGS)
    return folder
