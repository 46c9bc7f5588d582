"""The README's contract tables are generated (`harness contract show NAME --markdown`), never hand-edited."""

import re
from pathlib import Path

from lambda_function.contract import load_contracts
from lambda_function.contract.describe import markdown
from lambda_function.contract.loader import default_folder

README = Path(__file__).resolve().parents[3] / "README.md"
BLOCK = re.compile(r"<!-- contract (\S+) \(generated[^>]*-->\n(.*?)<!-- end contract -->", re.S)


def test_every_shipped_contract_is_in_the_readme_exactly_as_generated():
    shipped = {c.name: markdown(c) for c in load_contracts(default_folder())}

    in_readme = dict(BLOCK.findall(README.read_text(encoding="utf-8")))

    assert in_readme == shipped
