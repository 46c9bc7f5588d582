"""contracts/examples/orders.yaml end to end: adding one file is all it takes for orders.csv to load.

Twenty columns of the types users and test do not use, a ';' delimiter and upsert; real moto + PostgreSQL.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from lambda_function.contract import default_folder
from tests.support.client import IngestClient

HEADER = ("order_id;customer_id;status;channel;currency;quantity;unit_price;discount;total;weight_kg;score;sku;"
          "product_name;email;country_code;is_gift;placed_at;shipped_at;delivery_date;tracking_id")
ROW = ("{id};7;{status};web;EUR;2;19.99;0.1000;35.98;1.25;;AB-1;\"Mug; large\";a@example.com;DE;false;"
       "2024-05-01 10:00:00;;;")


def orders(*rows: str) -> bytes:
    return (HEADER + "\n" + "".join(r + "\n" for r in rows)).encode()


@pytest.fixture
def orders_client(client: IngestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> IngestClient:
    for contract in default_folder().glob("*.yaml"):
        shutil.copy(contract, tmp_path)
    shutil.copy(default_folder() / "examples" / "orders.yaml", tmp_path)
    monkeypatch.setenv("TABLE_CONTRACTS", str(tmp_path))
    return client


def test_orders_load_then_upsert_updates_by_order_id(orders_client):
    paid = [ROW.format(id=i, status="paid") for i in (1, 2)]
    first = orders_client.ingest("shop/orders.csv", orders(*paid))
    second = orders_client.ingest("shop/2/orders.csv", orders(ROW.format(id=2, status="shipped"),
                                                              ROW.format(id=3, status="queued")))

    assert (first["status"], first["table"], first["mode"]) == ("SUCCEEDED", "orders", "upsert")
    assert first["rows_loaded"] == 2
    assert (second["status"], second["rows_loaded"]) == ("SUCCEEDED", 2)
    assert orders_client.query("SELECT order_id, status, product_name, unit_price, score FROM orders ORDER BY 1") == [
        (1, "paid", "Mug; large", Decimal("19.99"), None), (2, "shipped", "Mug; large", Decimal("19.99"), None),
        (3, "queued", "Mug; large", Decimal("19.99"), None)]
    columns = dict(orders_client.query(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = 'orders'"))
    assert columns["discount"] == "numeric" and columns["placed_at"] == "timestamp without time zone"
    assert columns["channel"] == "character varying" and columns["quantity"] == "smallint"


def test_a_bad_value_fails_naming_it_and_the_table_is_unchanged(orders_client):
    orders_client.ingest("orders.csv", orders(ROW.format(id=1, status="paid")))
    before = orders_client.checksum("orders")
    bad = ROW.format(id=2, status="lost").replace(";0.1000;", ";0.12345;")

    outcome = orders_client.ingest("again/orders.csv", orders(ROW.format(id=5, status="paid"), bad))

    assert outcome["status"] == "FAILED"
    assert [(e["row"], e["column"], e["value"], e["rule"]) for e in outcome["errors"]] == [
        (2, "status", "lost", "one of: queued, paid, shipped, delivered, cancelled"),
        (2, "discount", "0.12345", "at most 4 fraction digits (numeric(5,4))")]
    assert orders_client.checksum("orders") == before


def test_other_names_are_rejected_listing_what_is_accepted(orders_client):
    outcome = orders_client.ingest("Orders.csv", orders(ROW.format(id=1, status="paid")))

    assert outcome["status"] == "REJECTED"
    assert "accepted: orders.csv, test.csv, users.csv (each optionally .gz)" in outcome["reason"]
