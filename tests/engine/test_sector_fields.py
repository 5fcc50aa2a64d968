"""A sector's extra fields: the configuration refuses what cannot work, at its line, and the one
check every channel uses takes what a citizen or an officer may type and refuses the rest, naming
each field (``extra.<code>``) in Vietnamese and English.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.config.loader import load
from engine.config.schema import _load as schema_of
from engine.config.snapshot import FIELD_TYPES, FieldChoice, Sector, SectorField
from engine.sector_fields import InvalidExtra, check, check_value, details, validated
from tests.engine.test_config_loader import DEFAULT, PILOT, edit, errors_of, only


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    """A copy of the default configuration to break (as the loader's tests make it)."""
    target = tmp_path / "config"
    shutil.copytree(DEFAULT, target, ignore=shutil.ignore_patterns("examples"))
    return target


def line_of(path: Path, text: str, after: str = "") -> int:
    """The 1-based line of the first ``text`` after ``after`` in ``path``."""
    content = path.read_text(encoding="utf-8")
    return content.count("\n", 0, content.index(text, content.index(after))) + 1


def field(code: str, kind: str, **options: object) -> SectorField:
    return SectorField(code=code, label=code.replace("_", " ").capitalize(), type=kind, **options)


POLLUTION = SectorField(
    code="loai_o_nhiem",
    label="Loại ô nhiễm",
    label_en="Kind of pollution",
    type="choice",
    required=True,
    choices=(FieldChoice("rac_thai", "Rác thải", "Waste"), FieldChoice("mui_hoi", "Mùi hôi")),
)
SOURCES = SectorField(
    code="nguon",
    label="Nguồn phát sinh",
    type="multichoice",
    choices=(FieldChoice("ho_dan", "Hộ dân"), FieldChoice("nha_may", "Nhà máy")),
)
TONNES = SectorField(code="khoi_luong", label="Khối lượng (tấn)", type="number", stage="result")
SECTOR = Sector(
    code="moi-truong",
    name="Môi trường",
    description="Rác thải, ô nhiễm.",
    fields=(
        POLLUTION,
        SOURCES,
        field("so_ho", "integer"),
        field("ngay", "date"),
        field("da_bao", "boolean"),
        field("ghi_chu", "textarea"),
        TONNES,
    ),
)


# -- the configuration -----------------------------------------------------------------------------


def test_the_default_configuration_has_example_fields_and_the_pilot_has_none() -> None:
    today, pilot = load(DEFAULT), load(PILOT)
    environment = today.sectors["moi-truong"]
    (asked,) = environment.fields_for("report")
    assert (asked.code, asked.label, asked.type, asked.required) == (
        "loai_o_nhiem",
        "Loại ô nhiễm",
        "choice",
        False,
    )
    assert [c.label for c in asked.choices] == [
        "Rác thải",
        "Nước thải",
        "Khói bụi",
        "Tiếng ồn",
        "Mùi hôi",
    ]
    assert [f.code for f in environment.fields_for("result")] == ["khoi_luong_thu_gom"]
    (fixed,) = today.sectors["giao-thong-van-tai"].fields
    assert (fixed.label, fixed.stage, fixed.type) == ("Hình thức khắc phục", "result", "choice")
    assert all(not s.fields for s in pilot.sectors.values())


def test_the_schema_knows_exactly_the_engines_types() -> None:
    field_schema = schema_of("sectors")["$defs"]["sector_field"]
    assert tuple(field_schema["properties"]["type"]["enum"]) == FIELD_TYPES


def test_a_duplicate_field_code_is_refused_at_its_line(conf: Path) -> None:
    sectors = conf / "sectors.yaml"
    first = line_of(sectors, "- code: loai_o_nhiem")
    line = edit(sectors, "      - code: khoi_luong_thu_gom\n", "      - code: loai_o_nhiem\n")
    error = only(errors_of(conf), "duplicate field code 'loai_o_nhiem'")
    assert error.file.endswith("sectors.yaml") and error.line == line
    assert error.path.startswith("sectors[") and error.path.endswith("].fields[1].code")
    assert error.format("vi") == (
        f"{error.file}:{line}: {error.path}: mã trường 'loai_o_nhiem' bị trùng "
        f"(đã khai báo ở {error.file}:{first})"
    )


def test_a_choice_field_without_choices_and_a_text_field_with_them(conf: Path) -> None:
    sectors = conf / "sectors.yaml"
    text = sectors.read_text(encoding="utf-8")
    start = text.index("        choices:\n          - {code: rac_thai")
    end = text.index("      - code: khoi_luong_thu_gom")
    sectors.write_text(text[:start] + text[end:], encoding="utf-8")  # the choices are gone
    kind = line_of(sectors, "type: choice", after="- code: loai_o_nhiem")
    line = edit(
        sectors,
        "        type: number\n",
        "        type: number\n        choices: [{code: a, label: A}]\n",
    )
    errors = errors_of(conf)
    missing = only(errors, "needs a list of 'choices'")
    assert missing.path.endswith("].fields[0].type") and missing.line == kind
    assert missing.message_vi == (
        "trường kiểu 'choice' cần danh sách lựa chọn 'choices' (mỗi mục có code, label)"
    )
    extra = only(errors, "only a choice or multichoice field has 'choices'")
    assert extra.path.endswith("].fields[1].choices") and extra.line == line + 1


def test_duplicate_choice_codes_are_refused_at_their_line(conf: Path) -> None:
    line = edit(conf / "sectors.yaml", "{code: mui_hoi,", "{code: rac_thai,")
    duplicate = only(errors_of(conf), "duplicate choice code 'rac_thai'")
    assert duplicate.line == line and duplicate.path.endswith("].fields[0].choices[4].code")
    assert duplicate.message_vi.startswith("mã lựa chọn 'rac_thai' bị trùng")


def test_a_bad_code_or_type_is_a_schema_error_at_its_line(conf: Path) -> None:
    sectors = conf / "sectors.yaml"
    kind = edit(sectors, "        type: number\n", "        type: so\n")
    code = edit(sectors, "      - code: loai_o_nhiem\n", "      - code: Loai-O-Nhiem\n")
    errors = errors_of(conf)
    wrong_type = only(errors, "'so'")
    assert wrong_type.path.endswith("].fields[1].type") and wrong_type.line == kind
    assert wrong_type.message_vi.startswith("giá trị 'so' không hợp lệ; chọn một trong: text,")
    wrong_code = only(errors, "Loai-O-Nhiem")
    assert wrong_code.path.endswith("].fields[0].code") and wrong_code.line == code


# -- checking what was sent ------------------------------------------------------------------------


def test_valid_values_are_normalised_for_storage() -> None:
    checked = check(
        SECTOR,
        {
            "loai_o_nhiem": "mui_hoi",
            "nguon": ["nha_may", "ho_dan", "nha_may"],
            "so_ho": " 12 ",
            "ngay": "23/04/2026",
            "da_bao": "có",
            "ghi_chu": "  Mùi hôi từ chiều hôm qua.  ",
        },
    )
    assert checked.ok
    assert checked.values == {
        "loai_o_nhiem": "mui_hoi",
        "nguon": ["ho_dan", "nha_may"],  # the configured order, once each
        "so_ho": 12,
        "ngay": "2026-04-23",
        "da_bao": True,
        "ghi_chu": "Mùi hôi từ chiều hôm qua.",
    }
    # What was stored passes again unchanged: the use case re-checks what a channel checked.
    assert validated(SECTOR, checked.values) == checked.values


@pytest.mark.parametrize(
    ("definition", "raw", "stored"),
    [
        (TONNES, "2,5", 2.5),
        (TONNES, "2.5", 2.5),
        (TONNES, 3, 3),
        (TONNES, "4.0", 4),
        (field("so", "integer"), 7.0, 7),
        (field("ngay", "date"), "2026-04-23T08:00:00+07:00", "2026-04-23"),
        (field("b", "boolean"), False, False),
        (field("b", "boolean"), "không", False),
        (SOURCES, "ho_dan, nha_may", ["ho_dan", "nha_may"]),
    ],
)
def test_each_type_reads_what_people_and_programs_send(
    definition: SectorField, raw: object, stored: object
) -> None:
    assert check_value(definition, raw) == (stored, None)


@pytest.mark.parametrize(
    ("definition", "raw", "vi", "en"),
    [
        (TONNES, "hai tấn", "Khối lượng (tấn) phải là một số (ví dụ 2,5).", "must be a number"),
        (TONNES, True, "phải là một số", "must be a number"),
        (TONNES, float("nan"), "phải là một số", "must be a number"),
        (field("so", "integer"), "2,5", "So phải là một số nguyên.", "must be a whole number"),
        (field("ngay", "date"), "31/02/2026", "phải là một ngày", "must be a date"),
        (field("b", "boolean"), "có lẽ", "chọn Có hoặc Không", "true or false"),
        (POLLUTION, "rac", "'rac' không có trong danh sách", "is not one of: rac_thai, mui_hoi"),
        (POLLUTION, ["rac_thai"], "chọn trong rac_thai (Rác thải)", "must be one of"),
        (SOURCES, ["ho_dan", "xe"], "'xe' không có trong danh sách", "'xe' is not one of"),
        (field("t", "text"), "x" * 501, "dài quá 500 ký tự", "longer than 500"),
        (field("t", "text"), "a\x00b", "ký tự điều khiển", "control"),
        (field("t", "text"), 5, "phải là chuỗi ký tự", "must be text"),
    ],
)
def test_a_wrong_value_is_refused_with_a_sentence_in_both_languages(
    definition: SectorField, raw: object, vi: str, en: str
) -> None:
    value, problem = check_value(definition, raw)
    assert value is None and problem is not None
    assert vi in problem.message_vi and en in problem.message_en
    assert problem.field == f"extra.{definition.code}"


def test_every_problem_is_named_at_once_and_nothing_is_kept() -> None:
    checked = check(SECTOR, {"so_ho": "nhiều", "mau_nuoc": "đen", "khoi_luong": 2})
    assert checked.values == {}
    assert [(p.field, p.message_vi) for p in checked.problems] == [
        (
            "extra.mau_nuoc",
            "Lĩnh vực Môi trường không có trường 'mau_nuoc' (các trường: loai_o_nhiem, nguon, "
            "so_ho, ngay, da_bao, ghi_chu).",
        ),
        (
            "extra.khoi_luong",  # the officer's field is not the citizen's to send
            "Lĩnh vực Môi trường không có trường 'khoi_luong' (các trường: loai_o_nhiem, nguon, "
            "so_ho, ngay, da_bao, ghi_chu).",
        ),
        ("extra.loai_o_nhiem", "Vui lòng chọn Loại ô nhiễm."),
        ("extra.so_ho", "So ho phải là một số nguyên."),
    ]
    assert checked.problems[2].message_en == "Kind of pollution is required."
    with pytest.raises(InvalidExtra) as refused:
        validated(SECTOR, {"so_ho": "nhiều"})
    assert refused.value.field == "extra.loai_o_nhiem" and refused.value.status == 422
    assert [p.code for p in refused.value.problems] == ["loai_o_nhiem", "so_ho"]


def test_empty_optional_fields_are_not_stored_and_without_a_sector_nothing_may_be_sent() -> None:
    assert check(SECTOR, {"loai_o_nhiem": "rac_thai", "so_ho": "  ", "nguon": []}).values == {
        "loai_o_nhiem": "rac_thai"
    }
    assert check(None, {}).ok and check(None, {"x": ""}).ok
    (problem,) = check(None, {"loai_o_nhiem": "rac_thai"}).problems
    assert "chỉ dùng được khi đã chọn lĩnh vực" in problem.message_vi
    # The result stage has its own fields and nothing else.
    assert check(SECTOR, {"khoi_luong": "1,25"}, "result").values == {"khoi_luong": 1.25}
    assert not check(SECTOR, {"loai_o_nhiem": "rac_thai"}, "result").ok


def test_stored_values_read_with_their_labels_in_both_languages() -> None:
    values = {
        "loai_o_nhiem": "rac_thai",
        "nguon": ["ho_dan", "nha_may"],
        "ngay": "2026-04-23",
        "da_bao": False,
        "cu": "giữ lại",  # a field the configuration no longer has
    }
    shown = details(SECTOR, values, "report")
    assert [(d.label, d.text) for d in shown] == [
        ("Loại ô nhiễm", "Rác thải"),
        ("Nguồn phát sinh", "Hộ dân, Nhà máy"),
        ("Ngay", "23/04/2026"),
        ("Da bao", "Không"),
        ("cu", "giữ lại"),
    ]
    assert [d.text_en for d in shown[:4]] == ["Waste", "Hộ dân, Nhà máy", "2026-04-23", "No"]
    assert shown[0].label_en == "Kind of pollution"
    (tonnes,) = details(SECTOR, {"khoi_luong": 1234.5}, "result")
    assert (tonnes.text, tonnes.text_en) == ("1.234,5", "1,234.5")  # Vietnamese decimal comma
    hidden = Sector("s", "S", "d", fields=(field("noi_bo", "text", public=False),))
    assert details(hidden, {"noi_bo": "x"}, "report", public_only=True) == ()
