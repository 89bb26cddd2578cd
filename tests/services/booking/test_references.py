"""clinic.services.booking.references: codes read over the phone, and the public ids behind manage links."""

from clinic.services.booking import references


def test_reference_codes_avoid_ambiguous_characters():
    codes = {references.new_reference() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert references.is_reference(code)
        assert not set(code[3:]) & set("01OI")
    assert not references.is_reference("KT-0OIIII")


def test_is_reference_wants_the_prefix_and_six_characters_of_the_alphabet():
    assert references.is_reference("KT-7Q4M2X")
    for text in ("7Q4M2X", "KT-7Q4M2", "KT-7Q4M2XY", "kt-7q4m2x", "XX-7Q4M2X"):
        assert not references.is_reference(text)


def test_public_ids_are_long_random_and_url_safe():
    ids = {references.new_public_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(len(i) >= 20 and i.replace("-", "").replace("_", "").isalnum() for i in ids)
