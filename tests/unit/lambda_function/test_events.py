"""lambda_function.events.decode on every canonical event shape (tests/events/*.json)."""

from __future__ import annotations

import json

import pytest

from lambda_function.events import Delivery, Ignored, Removal, decode
from lambda_function.reading.objects import ObjectRef
from tests.support.event_files import event_names, load_event, sqs_wrap


def refs(deliveries: list[Delivery]) -> list[ObjectRef]:
    return [item for d in deliveries for item in d.items if isinstance(item, ObjectRef)]


def ignored(deliveries: list[Delivery]) -> list[Ignored]:
    return [item for d in deliveries for item in d.items if isinstance(item, Ignored)]


def removals(deliveries: list[Delivery]) -> list[Removal]:
    return [item for d in deliveries for item in d.items if isinstance(item, Removal)]


def test_every_canonical_event_file_is_present():
    assert set(event_names()) >= {
        "s3_put", "s3_put_moto", "s3_put_localstack", "s3_put_versioned", "s3_multi_record", "s3_test_event",
        "s3_object_removed", "sqs_s3", "sqs_s3_test_event", "sns_s3", "sqs_sns_s3", "eventbridge_object_created",
        "eventbridge_object_deleted",
    }


@pytest.mark.parametrize("name", event_names())
def test_every_event_file_decodes_to_objects_removals_or_ignored_records(name):
    deliveries, _ = decode(load_event(name))

    items = [item for d in deliveries for item in d.items]
    assert items
    assert all(isinstance(item, ObjectRef | Removal | Ignored) for item in items)


@pytest.mark.parametrize("name", ["s3_put", "s3_put_moto", "s3_put_localstack"])
def test_aws_moto_and_localstack_key_encodings_decode_to_the_same_key(name):
    deliveries, from_sqs = decode(load_event(name))

    assert from_sqs is False
    assert len(deliveries) == 1
    assert deliveries[0].message_id is None
    [ref] = refs(deliveries)
    assert ref.bucket == "ingest-bucket"
    assert ref.key == "a b/c+d"


def test_aws_put_carries_etag_sequencer_and_size():
    [ref] = refs(decode(load_event("s3_put"))[0])

    assert ref == ObjectRef(bucket="ingest-bucket", key="a b/c+d", etag="d41d8cd98f00b204e9800998ecf8427e",
                            version_id=None, sequencer="0055AED6DCD90281E5", size=1024)


def test_moto_event_without_sequencer_user_identity_or_event_version_still_names_the_object():
    event = load_event("s3_put_moto")
    record = event["Records"][0]
    assert not {"sequencer", "userIdentity", "eventVersion"} & (set(record) | set(record["s3"]["object"]))

    [ref] = refs(decode(event)[0])

    assert ref.sequencer is None
    assert ref.etag == "9b2cf535f27731c974343645a3985328"  # moto quotes the ETag; the quotes are stripped
    assert ref.size == 2048


def test_localstack_null_version_id_is_no_version():
    [ref] = refs(decode(load_event("s3_put_localstack"))[0])

    assert ref.version_id is None
    assert ref.etag == "0d5bbd5de4b5be7d4a2c9f7fd7e4e1a2"


def test_versioned_object_carries_version_id_sequencer_size_and_multipart_etag():
    [ref] = refs(decode(load_event("s3_put_versioned"))[0])

    assert ref == ObjectRef(bucket="ingest-bucket", key="incoming/users.csv",
                            etag="3858f62230ac3c915f300c664312c11f-7",
                            version_id="096fKKXTRTtl3on89fVO.nfljtsv6qko",
                            sequencer="0055AED6DCD90281E7", size=52428800)


def test_removing_optional_fields_from_an_aws_record_only_loses_the_sequencer():
    event = load_event("s3_put")
    record = event["Records"][0]
    for optional in ("eventVersion", "userIdentity", "requestParameters", "responseElements"):
        del record[optional]
    del record["s3"]["object"]["sequencer"]

    [ref] = refs(decode(event)[0])

    assert ref == ObjectRef(bucket="ingest-bucket", key="a b/c+d", etag="d41d8cd98f00b204e9800998ecf8427e",
                            sequencer=None, size=1024)


def test_multi_record_event_yields_every_record_in_order():
    deliveries, from_sqs = decode(load_event("s3_multi_record"))

    assert from_sqs is False
    assert len(deliveries) == 1
    assert [(r.bucket, r.key) for r in refs(deliveries)] == [
        ("ingest-bucket", "users.csv"), ("ingest-bucket", "lab/test.csv.gz"), ("other-bucket", "orders.csv"),
    ]


def test_s3_test_event_is_ignored():
    deliveries, from_sqs = decode(load_event("s3_test_event"))

    assert from_sqs is False
    assert refs(deliveries) == []
    [item] = ignored(deliveries)
    assert "TestEvent" in item.reason


def test_object_removed_record_is_a_removal_of_its_key():
    deliveries, _ = decode(load_event("s3_object_removed"))

    assert refs(deliveries) == [] and ignored(deliveries) == []
    [item] = removals(deliveries)
    assert item == Removal(ObjectRef("ingest-bucket", "users.csv", sequencer="0055AED6DCD90281F0"),
                           "ObjectRemoved:Delete")
    assert item.key == "users.csv"


@pytest.mark.parametrize("name", ["ObjectRemoved:DeleteMarkerCreated", "s3:ObjectRemoved:Delete"])
def test_every_removal_event_name_is_a_removal(name):
    event = load_event("s3_object_removed")
    event["Records"][0]["eventName"] = name

    [item] = removals(decode(event)[0])
    assert item.event == name.removeprefix("s3:")


@pytest.mark.parametrize("wrap", ["sqs", "sns", "sqs_sns"])
def test_a_removal_wrapped_in_sqs_or_sns_is_a_removal(wrap):
    removal = load_event("s3_object_removed")
    sns = {"Type": "Notification", "MessageId": "m", "TopicArn": "arn:aws:sns:eu-west-1:1:t",
           "Message": json.dumps(removal)}
    event = {"sqs": sqs_wrap(removal), "sns": {"Records": [{"EventSource": "aws:sns", "Sns": sns}]},
             "sqs_sns": sqs_wrap(sns)}[wrap]

    [item] = removals(decode(event)[0])
    assert item.key == "users.csv"


def test_eventbridge_object_deleted_is_a_removal_with_the_marker_version():
    [item] = removals(decode(load_event("eventbridge_object_deleted"))[0])

    assert item.ref == ObjectRef("ingest-bucket", "a b/c+d", version_id="1QW9g1Z99LUNbvaaYVpW9xDlOLU.qxgF",
                                 sequencer="00617F0A4F5E9A3B2C")
    assert item.event == "ObjectRemoved:DeleteMarkerCreated"
    permanently = load_event("eventbridge_object_deleted")
    permanently["detail"]["deletion-type"] = "Permanently Deleted"
    assert removals(decode(permanently)[0])[0].event == "ObjectRemoved:Delete"


def test_removal_next_to_a_creation_keeps_both():
    event = load_event("s3_put")
    event["Records"] += load_event("s3_object_removed")["Records"]

    deliveries, _ = decode(event)

    assert [r.key for r in refs(deliveries)] == ["a b/c+d"]
    assert [r.key for r in removals(deliveries)] == ["users.csv"]
    assert ignored(deliveries) == []


def test_sqs_batch_is_one_delivery_per_message():
    deliveries, from_sqs = decode(load_event("sqs_s3"))

    assert from_sqs is True
    assert [d.message_id for d in deliveries] == [
        "059f36b4-87a3-44ab-83d2-661975830a7d", "2e1424d4-f796-459a-8184-9c92662be6da",
    ]
    assert [[i.key for i in d.items] for d in deliveries] == [["users.csv"], ["lab/test.csv.gz"]]
    assert refs(deliveries)[1].etag == "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"


def test_sqs_wrapped_test_event_is_an_ignored_delivery_of_its_own():
    deliveries, from_sqs = decode(load_event("sqs_s3_test_event"))

    assert from_sqs is True
    [delivery] = deliveries
    assert delivery.message_id == "7b0ea2a1-2b52-4a4e-9a61-4a3c8d5f0c11"
    [item] = delivery.items
    assert isinstance(item, Ignored)
    assert "TestEvent" in item.reason


def test_sqs_message_with_unreadable_body_is_ignored_without_affecting_the_others():
    event = load_event("sqs_s3")
    event["Records"][0]["body"] = "not json {"

    deliveries, _ = decode(event)

    assert isinstance(deliveries[0].items[0], Ignored)
    assert [r.key for r in refs(deliveries)] == ["lab/test.csv.gz"]


def test_sns_wrapped_s3_event_decodes_the_inner_notification():
    deliveries, from_sqs = decode(load_event("sns_s3"))

    assert from_sqs is False
    assert [d.message_id for d in deliveries] == [None]
    [ref] = refs(deliveries)
    assert (ref.bucket, ref.key, ref.sequencer) == ("ingest-bucket", "a b/c+d", "0055AED6DCD90281E5")


def test_sns_in_sqs_fan_out_is_an_sqs_delivery_of_the_inner_notification():
    deliveries, from_sqs = decode(load_event("sqs_sns_s3"))

    assert from_sqs is True
    [delivery] = deliveries
    assert delivery.message_id == "c3b1a7a2-5d2e-4a3b-9a0e-1f2e3d4c5b6a"
    [ref] = delivery.items
    assert isinstance(ref, ObjectRef)
    assert (ref.bucket, ref.key, ref.size) == ("ingest-bucket", "lab/test.csv.gz", 200)


def test_eventbridge_object_created_key_is_decoded_with_unquote_plus():
    # S3 URL-encodes EventBridge keys like notification keys: "+" is a space, "%2B" a plus.
    deliveries, from_sqs = decode(load_event("eventbridge_object_created"))

    assert from_sqs is False
    [ref] = refs(deliveries)
    assert ref == ObjectRef(bucket="ingest-bucket", key="a b/c+d", etag="b1946ac92492d2347c6235b4d2611184",
                            version_id="IYV3p45BT0ac8hjHg1houSdS1a.Mro8e", sequencer="00617F08299329D189",
                            size=5576)


def test_eventbridge_inside_sqs_is_an_sqs_delivery():
    deliveries, from_sqs = decode(sqs_wrap(load_event("eventbridge_object_created")))

    assert from_sqs is True
    assert [d.message_id for d in deliveries] == ["msg-1"]
    assert [r.key for r in refs(deliveries)] == ["a b/c+d"]


def test_eventbridge_event_other_than_object_created_or_deleted_is_ignored():
    event = load_event("eventbridge_object_created")
    event["detail-type"] = "Object Restore Completed"

    deliveries, _ = decode(event)

    assert refs(deliveries) == []
    assert "Object Restore Completed" in ignored(deliveries)[0].reason


def test_quoted_etag_is_unquoted_in_every_shape():
    event = load_event("eventbridge_object_created")
    event["detail"]["object"]["etag"] = '"b1946ac92492d2347c6235b4d2611184"'
    s3 = load_event("s3_put")
    s3["Records"][0]["s3"]["object"]["eTag"] = '"d41d8cd98f00b204e9800998ecf8427e"'

    assert refs(decode(event)[0])[0].etag == "b1946ac92492d2347c6235b4d2611184"
    assert refs(decode(s3)[0])[0].etag == "d41d8cd98f00b204e9800998ecf8427e"


@pytest.mark.parametrize("event", [None, [], "s3:TestEvent", {"Records": "nope"}, {"detail": {}}])
def test_non_events_are_ignored_rather_than_raising(event):
    deliveries, from_sqs = decode(event)

    assert from_sqs is False
    assert refs(deliveries) == []
    assert ignored(deliveries)
