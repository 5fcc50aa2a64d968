"""The configuration loader: every kind of error is reported, all at once, as FILE:LINE: PATH: message.

Each test copies the default configuration, breaks one thing the way an administrator might, and
checks that the error names the right file, the line where the broken text stands, and the path.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from engine.config.errors import ConfigError, ConfigInvalid
from engine.config.loader import load
from engine.config.snapshot import Duration, Unit
from engine.uploads import limits_of

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "config"
PILOT = ROOT / "config" / "examples" / "pilot-2020"


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(DEFAULT, target, ignore=shutil.ignore_patterns("examples"))
    return target


def edit(path: Path, old: str, new: str, count: int = 1) -> int:
    """Replace ``old`` by ``new`` in ``path``; return the 1-based line where the change stands."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not found in {path.name}: the test data moved"
    index = text.index(old)
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return text.count("\n", 0, index) + 1


def errors_of(directory: Path) -> list[ConfigError]:
    with pytest.raises(ConfigInvalid) as caught:
        load(directory)
    return caught.value.errors


def only(errors: list[ConfigError], fragment: str) -> ConfigError:
    found = [e for e in errors if fragment in e.message_en or fragment in e.message_vi]
    assert len(found) == 1, f"expected one error with {fragment!r}, got {[str(e) for e in errors]}"
    return found[0]


def test_default_and_pilot_configurations_load() -> None:
    today = load(DEFAULT)
    pilot = load(PILOT)
    assert len(today.sectors) == len(pilot.sectors) == 9
    assert len(today.areas) == 124
    assert today.province == "Vĩnh Long"
    # The two lists differ only in data: today's environment reports go to a commune, 2020's to a
    # district, through the same route definition.
    assert today.routes[-1].area_committee and pilot.routes[-1].area_committee
    assert {today.committee_of(a).kind for a in today.areas} <= {"ubnd_xa", "ubnd_phuong"}
    assert {pilot.committee_of(a).kind for a in pilot.areas} == {"ubnd_huyen"}


def test_snapshot_is_immutable() -> None:
    snapshot = load(DEFAULT)
    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.routes = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        snapshot.sectors["moi-truong"] = None  # type: ignore[index]
    assert snapshot.calendar.day_minutes == 480
    assert snapshot.sla.steps["verify"].duration == Duration(1, Unit.DAY)


def test_yaml_syntax_error_names_its_line(conf: Path) -> None:
    line = edit(conf / "sla.yaml", "warning_threshold: 0.75", "warning_threshold: [0.75")
    error = errors_of(conf)[0]
    assert error.file.endswith("sla.yaml")
    assert error.line >= line


def test_unknown_agency_in_routing(conf: Path) -> None:
    line = edit(conf / "sectors.yaml", "agency: SYT", "agency: SYTE")
    error = only(errors_of(conf), "unknown agency 'SYTE'")
    assert error.file.endswith("sectors.yaml")
    assert error.line == line
    assert error.path.startswith("routing[") and error.path.endswith("].agency")
    assert error.format("vi").endswith("cơ quan 'SYTE' không tồn tại")


def test_missing_required_field_and_unknown_field(conf: Path) -> None:
    edit(conf / "sectors.yaml", "name: Sức khỏe", "ten: Sức khỏe")
    errors = errors_of(conf)
    assert only(errors, "missing required field 'name'").path.startswith("sectors[")
    assert only(errors, "'ten'").message_vi.startswith("trường không được phép")


def test_bad_code_kind_date_and_duration_formats(conf: Path) -> None:
    sectors = conf / "sectors.yaml"
    edit(sectors, "code: SYT", "code: syt")
    edit(sectors, "kind: so", "kind: bo")
    edit(sectors, "{from: 2020-09-11}", "{from: 2020-13-11}")
    edit(sectors, "handling_limit: 6d", "handling_limit: six days")
    messages = [e.format("en") for e in errors_of(conf)]
    assert any("'syt'" in m and "code" in m for m in messages)
    assert any("'bo'" in m for m in messages)
    assert any("2020-13-11" in m for m in messages)
    assert any("six days" in m and "handling_limit" in m for m in messages)


def test_duplicate_codes_across_files(conf: Path) -> None:
    # A department given the code of a commune's People's Committee, which lives in areas.yaml.
    areas_text = (conf / "areas.yaml").read_text(encoding="utf-8")
    committee = next(w for w in areas_text.split() if w.startswith("UBND-")).strip(",")
    line = edit(conf / "sectors.yaml", "code: SYT", f"code: {committee}")
    error = only(errors_of(conf), f"duplicate agency code '{committee}'")
    assert error.file.endswith("areas.yaml") or error.line == line


def test_handling_limit_above_six_working_days(conf: Path) -> None:
    line = edit(conf / "sectors.yaml", "handling_limit: 6d", "handling_limit: 7d")
    error = only(errors_of(conf), "handling limit 7d")
    assert error.line == line and "Đ8.B3" in error.message_vi
    # The same limit written in hours: 49 working hours is more than 6 working days of 8 h.
    edit(conf / "sectors.yaml", "handling_limit: 7d", "handling_limit: 49h")
    assert only(errors_of(conf), "handling limit 49h")


def test_step_beyond_the_regulation(conf: Path) -> None:
    line = edit(conf / "sla.yaml", "verify:  {duration: 1d", "verify:  {duration: 2d")
    error = only(errors_of(conf), "step 'verify'")
    assert (error.file.endswith("sla.yaml"), error.line, error.path) == (
        True,
        line,
        "steps.verify.duration",
    )


def test_overlapping_and_inverted_working_hours(conf: Path) -> None:
    edit(
        conf / "sla.yaml",
        'monday: ["07:00-11:00", "13:00-17:00"]',
        'monday: ["07:00-11:00", "10:30-17:00"]',
    )
    edit(
        conf / "sla.yaml",
        'friday: ["07:00-11:00", "13:00-17:00"]',
        'friday: ["07:00-11:00", "17:00-13:00"]',
    )
    errors = errors_of(conf)
    assert only(errors, "overlaps 07:00-11:00").path == "calendar.working_hours.monday"
    assert only(errors, "17:00-13:00 ends before it starts").path == "calendar.working_hours.friday"


def test_unknown_time_zone(conf: Path) -> None:
    edit(conf / "sla.yaml", "timezone: Asia/Ho_Chi_Minh", "timezone: Asia/Saigon_City")
    assert only(errors_of(conf), "unknown time zone").path == "calendar.timezone"


def test_sector_without_route(conf: Path) -> None:
    text = (conf / "sectors.yaml").read_text(encoding="utf-8")
    start = text.index("  - id: dien")
    end = text.index("  - id:", start + 1)
    (conf / "sectors.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    error = only(errors_of(conf), "sector 'dien' has no route")
    assert error.path.startswith("sectors[") and error.path.endswith("].code")


def test_area_committee_route_with_a_commune_that_has_no_committee(conf: Path) -> None:
    areas = conf / "areas.yaml"
    text = areas.read_text(encoding="utf-8")
    first_committee = (
        text.index("  - code: UBND-") if "  - code: UBND-" in text else text.index("- {code: UBND-")
    )
    end = text.index("\n", first_committee)
    # Remove one commune's People's Committee: environment reports there would have nowhere to go.
    block_end = text.find("\n  - ", end)
    removed = text[first_committee : block_end if block_end != -1 else len(text)]
    areas.write_text(text.replace(removed, "", 1), encoding="utf-8")
    errors = errors_of(conf)
    assert any("has no People's Committee to route to" in e.message_en for e in errors)
    assert any("has no route for 1 area(s)" in e.message_en for e in errors)


def test_unknown_area_of_a_committee_and_unknown_parent(conf: Path) -> None:
    edit(conf / "areas.yaml", 'area: "', 'area: "9')
    edit(conf / "sectors.yaml", "parent: SKHCN", "parent: SKHCNN")
    errors = errors_of(conf)
    assert any(e.message_en.startswith("unknown area '9") for e in errors)
    assert only(errors, "unknown parent agency 'SKHCNN'").path.endswith(".parent")


def test_ambiguous_routes(conf: Path) -> None:
    sectors = conf / "sectors.yaml"
    with sectors.open("a", encoding="utf-8") as out:
        out.write("  - id: dien-2\n    sector: dien\n    agency: SYT\n")
    assert only(errors_of(conf), "ambiguous").path.endswith(".priority")


def test_year_overrides_checked(conf: Path) -> None:
    edit(conf / "sla.yaml", "{date: 2025-04-26", "{date: 2024-04-26")
    edit(conf / "sla.yaml", "{date: 2026-08-22", "{date: 2026-08-31")
    errors = errors_of(conf)
    assert only(errors, "not in year 2025").path == "calendar.years.2025.working_days[0].date"
    assert only(errors, "both a day off and a make-up working day")


def test_template_that_does_not_compile_names_its_line(conf: Path) -> None:
    template = conf / "templates" / "ket-qua.txt.j2"
    line = edit(template, "Trân trọng!", "{% if %}Trân trọng!")
    error = only(errors_of(conf), "template syntax error")
    assert error.file.endswith("ket-qua.txt.j2") and error.line == line


def test_template_reaching_python_internals_is_refused(conf: Path) -> None:
    edit(conf / "templates" / "ket-qua.txt.j2", "Trân trọng!", "{{ ''.__class__.__mro__ }}")
    assert only(errors_of(conf), "sandbox forbids")


def test_missing_result_template_and_missing_file(conf: Path) -> None:
    (conf / "templates" / "ket-qua.txt.j2").unlink()
    (conf / "sla.yaml").unlink()
    errors = errors_of(conf)
    assert only(errors, "result template of Phụ lục 2 is missing")
    assert only(errors, "sla.yaml is missing")


def test_every_error_is_reported_not_only_the_first(conf: Path) -> None:
    edit(conf / "sectors.yaml", "agency: SYT", "agency: SYTE")
    edit(conf / "sectors.yaml", "handling_limit: 6d", "handling_limit: 8d")
    edit(conf / "sla.yaml", "publish: {duration: 4h", "publish: {duration: 5h")
    edit(conf / "templates" / "ket-qua.txt.j2", "Trân trọng!", "{% endif %}")
    errors = errors_of(conf)
    files = {Path(e.file).name for e in errors}
    assert {"sectors.yaml", "sla.yaml", "ket-qua.txt.j2"} <= files
    assert len(errors) >= 4
    assert errors == sorted(errors, key=lambda e: (e.file, e.line, e.path, e.message_en))


def test_missing_directory() -> None:
    assert only(errors_of(Path("/nonexistent/phananh")), "does not exist")


def test_portal_file_is_optional_and_checked_when_present(conf: Path) -> None:
    assert load(conf).portal.bounds.contains(10.2537, 105.9722)  # Vĩnh Long city
    line = edit(conf / "portal.yaml", "south: 9.45", "south: 11.5")
    error = only(errors_of(conf), "bounds are inverted")
    assert (error.path, error.line) == ("bounds", line)
    (conf / "portal.yaml").unlink()
    defaults = load(conf).portal
    assert defaults.bounds is None and defaults.max_files == 6


def test_the_pixel_limit_is_set_in_portal_yaml_within_the_schema(conf: Path) -> None:
    """24 MP by default (a phone takes 12); a province may change it, up to 50 MP, because
    decoding costs about 13 bytes of memory per pixel."""
    assert load(conf).portal.max_pixels == 24_000_000
    edit(conf / "portal.yaml", "max_megapixels: 24", "max_megapixels: 16")
    assert load(conf).portal.max_pixels == 16_000_000
    line = edit(conf / "portal.yaml", "max_megapixels: 16", "max_megapixels: 100")
    error = only(errors_of(conf), "100")
    assert (Path(error.file).name, error.path, error.line) == (
        "portal.yaml",
        "media.max_megapixels",
        line,
    )
    (conf / "portal.yaml").unlink()
    assert load(conf).portal.max_pixels == 24_000_000


def test_the_photo_side_is_set_in_portal_yaml_and_used_by_the_upload_checks(conf: Path) -> None:
    """2560 px by default: the server downscales a bigger photo to it, and the portal's page
    shrinks photos to it before sending them (issue 11: a slow uplink)."""
    assert load(conf).portal.max_photo_side == 2560
    edit(conf / "portal.yaml", "max_photo_side: 2560", "max_photo_side: 1600")
    portal = load(conf).portal
    assert portal.max_photo_side == 1600 and limits_of(portal).max_side == 1600
    line = edit(conf / "portal.yaml", "max_photo_side: 1600", "max_photo_side: 100")
    error = only(errors_of(conf), "100")
    assert (Path(error.file).name, error.path, error.line) == (
        "portal.yaml",
        "media.max_photo_side",
        line,
    )


def test_the_periodic_report_heading_is_data_with_the_province_as_default(conf: Path) -> None:
    """R30, Đ13.9: who issues the report to the province and to whom it goes are the province's
    data, checked by the schema; without the block the report is Sở Khoa học và Công nghệ's (which
    took over Sở Thông tin và Truyền thông's work in 2025), to the committee of areas.yaml's
    province."""
    today, pilot = load(conf).report, load(PILOT).report
    assert today.issuer == "SỞ KHOA HỌC VÀ CÔNG NGHỆ" and today.place == "Vĩnh Long"
    assert pilot.issuer == "SỞ THÔNG TIN VÀ TRUYỀN THÔNG" and "Lưu: VT, IOC" in pilot.recipients
    edit(conf / "portal.yaml", "  place: Vĩnh Long\n", "  place: Thành phố Vĩnh Long\n")
    assert load(conf).report.place == "Thành phố Vĩnh Long"
    line = edit(conf / "portal.yaml", "  signer: GIÁM ĐỐC\n", '  signer: "  "\n')
    (error,) = errors_of(conf)
    assert (Path(error.file).name, error.path, error.line) == ("portal.yaml", "report.signer", line)
    text = (conf / "portal.yaml").read_text(encoding="utf-8")
    (conf / "portal.yaml").write_text(text[: text.index("report:")], encoding="utf-8")
    default = load(conf).report
    assert (default.issuer, default.parent, default.place, default.addressee) == (
        "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
        "ỦY BAN NHÂN DÂN TỈNH VĨNH LONG",
        "Vĩnh Long",
        "Ủy ban nhân dân tỉnh Vĩnh Long",
    )
    assert default.recipients == ("Như trên", "Lưu: VT") and default.signer == "GIÁM ĐỐC"


def test_portal_map_centre_must_be_inside_the_province(conf: Path) -> None:
    edit(conf / "portal.yaml", "center: [10.05, 106.25]", "center: [21.03, 105.85]")
    assert only(errors_of(conf), "outside the province's bounds").path == "map.center"


# -- the worker's configuration: notify.yaml, agencies' addresses, mail templates ---------------


def test_notify_file_is_optional_and_checked_when_present(conf: Path) -> None:
    notify = load(conf).notify
    assert notify.ioc_email and notify.smtp.sender.endswith("<dttm@vinhlong.gov.vn>")
    assert notify.digest_at is not None and notify.digest_at.strftime("%H:%M") == "17:30"
    line = edit(conf / "notify.yaml", "  security: none\n", "  security: tls\n")
    error = only(errors_of(conf), "'tls'")
    assert (error.file.endswith("notify.yaml"), error.line, error.path) == (
        True,
        line,
        "smtp.security",
    )
    edit(conf / "notify.yaml", "  security: tls\n", "  security: ssl\n")
    line = edit(conf / "notify.yaml", 'hour: "17:30"', 'hour: "25:00"')
    assert only(errors_of(conf), "25:00").line == line
    edit(conf / "notify.yaml", 'hour: "25:00"', 'hour: "16:45"')
    edit(conf / "notify.yaml", "  port: 25\n", "")
    loaded = load(conf).notify
    assert (loaded.smtp.port, loaded.digest_at.strftime("%H:%M")) == (465, "16:45")
    (conf / "notify.yaml").unlink()
    assert load(conf).notify.smtp.host == "localhost"


def test_notify_secrets_are_variable_names_and_the_sender_an_address(conf: Path) -> None:
    edit(
        conf / "notify.yaml", "# username_env: PHANANH_SMTP_USER", "username_env: PHANANH_SMTP_USER"
    )
    assert only(errors_of(conf), "'password_env'").path == "smtp"
    edit(conf / "notify.yaml", "# password_env: PHANANH_SMTP_PASSWORD", "password_env: PASS WORD")
    assert only(errors_of(conf), "'PASS WORD'").path == "smtp.password_env"
    edit(conf / "notify.yaml", "password_env: PASS WORD", "password_env: PHANANH_SMTP_PASSWORD")
    edit(conf / "notify.yaml", "  security: none\n", "  security: starttls\n")
    smtp = load(conf).notify.smtp
    assert (smtp.username_env, smtp.password_env) == ("PHANANH_SMTP_USER", "PHANANH_SMTP_PASSWORD")
    line = edit(conf / "notify.yaml", 'sender: "Phản ánh', 'sender: "Phản ánh <thiếu địa chỉ>" #')
    error = only(errors_of(conf), "is not one e-mail address")
    assert (error.line, error.path) == (line, "smtp.sender")


def test_the_mail_account_comes_only_from_phananh_smtp_variables(conf: Path) -> None:
    """Issue #12: ``DATABASE_URL`` / ``SECRET_KEY`` named as the account would be sent to any mail
    server; only ``PHANANH_SMTP_*`` names are accepted, each refused at its own line."""
    notify = conf / "notify.yaml"
    edit(notify, "  security: none\n", "  security: starttls\n")
    user = edit(notify, "# username_env: PHANANH_SMTP_USER", "username_env: DATABASE_URL")
    password = edit(notify, "# password_env: PHANANH_SMTP_PASSWORD", "password_env: SECRET_KEY")
    errors = errors_of(conf)
    assert [(e.file.endswith("notify.yaml"), e.line, e.path) for e in errors] == [
        (True, user, "smtp.username_env"),
        (True, password, "smtp.password_env"),
    ]
    assert "PHANANH_SMTP_" in errors[0].message_vi and "'DATABASE_URL'" in errors[0].message_vi
    edit(notify, "username_env: DATABASE_URL", "username_env: PHANANH_SMTP_USER")
    edit(notify, "password_env: SECRET_KEY", "password_env: PHANANH_SMTP_PASSWORD")
    assert load(conf).notify.smtp.username_env == "PHANANH_SMTP_USER"


def test_a_mail_login_needs_tls_or_a_relay_on_this_machine(conf: Path) -> None:
    notify = conf / "notify.yaml"
    edit(notify, "# username_env: PHANANH_SMTP_USER", "username_env: PHANANH_SMTP_USER")
    edit(notify, "# password_env: PHANANH_SMTP_PASSWORD", "password_env: PHANANH_SMTP_PASSWORD")
    line = edit(notify, "  security: none\n", "  security: none\n")
    error = only(errors_of(conf), "starttls")
    assert (error.line, error.path) == (line, "smtp.security")
    edit(notify, "  security: none\n", "  security: none\n  allow_plain_login_localhost: true\n")
    assert load(conf).notify.smtp.allow_plain_login_localhost  # host: localhost
    line = edit(notify, "  host: localhost\n", "  host: mail.vinhlong.gov.vn\n")
    error = only(errors_of(conf), "localhost, 127.0.0.1")
    assert error.path == "smtp.allow_plain_login_localhost"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:2601/phananh/webhook",
        "http://localhost:2601/hook",
        "http://2130706433/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "https://10.20.30.40/hook",
    ],
)
def test_an_agency_webhook_on_an_internal_address_is_refused_unless_the_deployment_allows_it(
    conf: Path, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PHANANH_WEBHOOK_ALLOW", raising=False)
    sectors = conf / "sectors.yaml"
    line = edit(
        sectors,
        "    # webhook_url: https://hethong.sxd.example.vn/phananh/webhook\n",
        f"    webhook_url: {url}\n",
    )
    edit(
        sectors,
        "    # webhook_secret_env: PHANANH_WEBHOOK_SECRET_SXD\n",
        "    webhook_secret_env: PHANANH_WEBHOOK_SECRET_SXD\n",
    )
    error = only(errors_of(conf), "PHANANH_WEBHOOK_ALLOW")
    assert (error.file.endswith("sectors.yaml"), error.line) == (True, line)
    assert error.path.endswith(".webhook_url")
    monkeypatch.setenv("PHANANH_WEBHOOK_ALLOW", "127.0.0.0/8,::1,10.0.0.0/8,169.254.169.254")
    assert load(conf).agencies["SXD"].webhook_url == url


def test_an_agency_webhook_key_comes_only_from_a_phananh_webhook_variable(conf: Path) -> None:
    sectors = conf / "sectors.yaml"
    edit(
        sectors,
        "    # webhook_url: https://hethong.sxd.example.vn/phananh/webhook\n",
        "    webhook_url: https://hethong.sxd.example.vn/phananh/webhook\n",
    )
    line = edit(
        sectors,
        "    # webhook_secret_env: PHANANH_WEBHOOK_SECRET_SXD\n",
        "    webhook_secret_env: SECRET_KEY\n",
    )
    error = only(errors_of(conf), "PHANANH_WEBHOOK_")
    assert (error.line, error.path.endswith(".webhook_secret_env")) == (line, True)


def test_agency_email_and_webhook_fields(conf: Path) -> None:
    loaded = load(conf)
    assert loaded.agencies["SXD"].email == "phananh.sxd@example.vn"
    assert loaded.agencies["SXD"].webhook_url is None
    sectors = conf / "sectors.yaml"
    text = sectors.read_text(encoding="utf-8")
    agency_line = text.count("\n", 0, text.index("  - code: SXD ")) + 1
    edit(
        sectors,
        "    # webhook_url: https://hethong.sxd.example.vn/phananh/webhook\n",
        "    webhook_url: https://hethong.sxd.example.vn/phananh/webhook\n",
    )
    error = only(errors_of(conf), "'webhook_secret_env'")
    assert error.file.endswith("sectors.yaml") and error.line == agency_line
    assert "webhook_url cần webhook_secret_env" in error.message_vi
    edit(
        sectors,
        "    # webhook_secret_env: PHANANH_WEBHOOK_SECRET_SXD\n",
        "    webhook_secret_env: PHANANH_WEBHOOK_SECRET_SXD\n",
    )
    sxd = load(conf).agencies["SXD"]
    assert sxd.webhook_url == "https://hethong.sxd.example.vn/phananh/webhook"
    assert sxd.webhook_secret_env == "PHANANH_WEBHOOK_SECRET_SXD"
    line = edit(sectors, "email: phananh.sxd@example.vn", "email: phananh.sxd")
    assert only(errors_of(conf), "'phananh.sxd'").line == line


def test_mail_templates_are_loaded_and_checked(conf: Path) -> None:
    loaded = load(conf)
    assert "mail/reporter.received.j2" in loaded.templates
    assert "ket-qua.txt.j2" in loaded.templates


def test_a_broken_mail_template_names_its_file_and_line(conf: Path) -> None:
    template = conf / "templates" / "mail" / "agency.forwarded.j2"
    line = edit(template, "Nội dung:\n", "Nội dung: {% if %}\n")
    error = only(errors_of(conf), "template syntax error")
    assert error.file.endswith("templates/mail/agency.forwarded.j2") and error.line == line
    assert error.format("vi").startswith(f"{error.file}:{line}: ")


def test_an_unknown_variable_in_a_rare_branch_is_found_at_its_line(conf: Path) -> None:
    template = conf / "templates" / "mail" / "digest.j2"
    line = edit(
        template, "- {{ pa.ma_phan_anh }}: {{ pa.buoc }}", "- {{ ma_phan_ank }}: {{ pa.buoc }}"
    )
    error = only(errors_of(conf), "unknown variable: 'ma_phan_ank'")
    assert error.file.endswith("digest.j2") and error.line == line
    assert "so_dang_xu_ly" in error.message_en  # the variables the template may use


def test_a_failing_filter_and_a_sandbox_escape_in_a_mail_template(conf: Path) -> None:
    mail = conf / "templates" / "mail"
    line = edit(mail / "ioc.reply.j2", "Trạng thái hiện tại:", "{{ phan_hoi | int(1, 2, 3) }}")
    edit(mail / "clock.late.j2", "Đề nghị khẩn trương", "{{ buoc.__class__.__mro__ }}")
    errors = errors_of(conf)
    assert only(errors, "fails to render").line == line
    assert only(errors, "sandbox forbids").file.endswith("clock.late.j2")


def test_a_mail_template_needs_a_subject_and_a_body_and_a_known_name(conf: Path) -> None:
    mail = conf / "templates" / "mail"
    (mail / "clock.warning.j2").write_text(
        "{#- Chỉ có tiêu đề, quên nội dung. -#}\n[{{ ma_phan_anh }}] Sắp đến hạn\n",
        encoding="utf-8",
    )
    (mail / "clock.warnings.j2").write_text("Tiêu đề\n\nNội dung\n", encoding="utf-8")
    errors = errors_of(conf)
    empty = only(errors, "first line is the subject")
    assert empty.file.endswith("clock.warning.j2") and empty.line == 2
    unknown = only(errors, "matches no kind of notice")
    assert unknown.file.endswith("clock.warnings.j2") and "clock.warning.j2" in unknown.message_en
