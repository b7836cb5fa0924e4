"""Records are named to users by their number in the case, never by their id (issue #15)."""

from lawtrail.core.record_kinds import record_label, records_named


def test_a_record_is_named_by_its_number_in_the_case() -> None:
    assert record_label("r7") == "第7份记录"
    assert record_label("r05") == "第5份记录"
    assert record_label("api-r12") == "第12份记录"


def test_an_id_without_a_number_is_shown_as_it_is() -> None:
    assert record_label("intake") == "intake"


def test_the_records_a_message_cites_are_named_by_their_number() -> None:
    assert records_named("送达（记录 r9）的「文书种类」") == "送达（第9份记录）的「文书种类」"
    assert records_named("记录 r14 是“送达”") == "第14份记录是“送达”"
    assert records_named("与所送达的记录 r9 不符") == "与所送达的第9份记录不符"
    # a count of records is not a record's id
    assert records_named("共 12 条记录 12 份") == "共 12 条记录 12 份"
