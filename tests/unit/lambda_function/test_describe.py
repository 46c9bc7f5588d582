"""The contract table `harness contract show` prints: every phrase is the rule's own, so docs cannot drift."""

from lambda_function.contract import load_contracts
from lambda_function.contract.describe import column_lines, headline, markdown
from lambda_function.contract.loader import default_folder


def test_users_table_reads_as_the_rules_enforce():
    users = load_contracts(default_folder()).find("users.csv")

    lines = {line.name: line for line in column_lines(users)}

    assert headline(users) == "users.csv (or .gz) → users (replace, primary key user_id)"
    assert (lines["user_id"].key, lines["user_id"].rules) == ("primary key", "≥ 1")
    assert lines["email"].key == "unique (any case)"
    assert (lines["country_code"].accepts, lines["country_code"].rules) == (
        "exactly 2 characters (char(2))", "two upper-case ASCII letters")
    assert lines["signup_date"].rules == "not later than today (UTC)"


def test_markdown_has_one_row_per_column_and_escapes_pipes(tmp_path):
    (tmp_path / "p.yaml").write_text("file: p.csv\ntable: p\nmode: append\ndialect: {delimiter: '|'}\n"
                                     "on_error: reject_rows\nmax_rejected_rows: 5\n"
                                     "columns:\n  code: {type: text, pattern: 'a|b'}\n"
                                     "  n: {type: integer, required: false}\n")
    contract = load_contracts(tmp_path).find("p.csv")

    text = markdown(contract)

    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(rows) == 2
    assert "a\\|b" in rows[0] and "| optional |" in rows[1]
    assert "delimiter '|'" in text and "rejects rows (at most 5 rows)" in text


def test_example_contract_lists_every_column():
    orders = load_contracts(default_folder() / "examples").find("orders.csv")

    assert [line.name for line in column_lines(orders)] == list(orders.column_names)
    assert "delimiter ';'" in headline(orders) and "upsert" in headline(orders)


def test_a_real_world_dialect_and_boolean_spellings_are_said(tmp_path):
    (tmp_path / "i.yaml").write_text("file: i.csv\ntable: i\nmode: append\n"
                                     "dialect: {missing: NA, encoding: windows-1252}\n"
                                     "columns:\n  ok: {type: boolean, true_values: ['1', Y], false_values: ['0', N]}\n")
    contract = load_contracts(tmp_path).find("i.csv")

    [line] = column_lines(contract)

    assert headline(contract) == "i.csv (or .gz) → i (append, missing values written 'NA', windows-1252)"
    assert line.accepts == "1/y or 0/n (any case)"
