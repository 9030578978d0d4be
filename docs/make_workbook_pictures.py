"""Write the workbooks people open and print them as LibreOffice does: docs/workbook_<name>.png, its A4 pages side by side.

uv run python docs/make_workbook_pictures.py [PDF_DIR]   (needs soffice and pdftoppm; PDF_DIR keeps the PDFs)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import openpyxl  # noqa: E402

from tasks.aggregate import aggregate, write_outputs  # noqa: E402
from tasks.config import load_config  # noqa: E402
from tasks.db import load_reference, materialize, open_db, query  # noqa: E402
from tasks.feedback import load_unit_files, write_feedback  # noqa: E402
from tasks.ingest import ingest_year  # noqa: E402
from tasks.workbook_templates import build_template  # noqa: E402
from test_validation import clean_sheets, row_of  # noqa: E402
from tests.factories import write_xlsx  # noqa: E402

SAMPLE = ROOT / "data" / "sample" / "submissions"
YEAR = 2020


def three_findings(work: Path, config) -> Path:
    """TP2 with a word for a number, an impossible date and a hidden sheet: its feedback workbook."""
    sheets = clean_sheets("TP2", YEAR)
    sheets["chi_tieu"][row_of(sheets, "chi_tieu", "lao_dong_viec_lam") - 1][1] = "hai trăm năm mươi"
    sheets["khen_thuong"][2][4] = "31/11/2020"
    path = write_xlsx(work / "subs" / str(YEAR) / "TP2.xlsx", sheets)
    wb = openpyxl.load_workbook(path)
    wb["noi_dung"].sheet_state = "hidden"
    wb.save(path)
    db = work / "feedback.duckdb"
    ingest_year(config, work / "subs", YEAR, db)
    with open_db(db) as con:
        load_reference(con, config)
        materialize(con, "validation/submission_status")
        findings = [f for f in query(con, "validation/int_finding_current", {"nam": YEAR}) if f["unit_code"] == "TP2"]
        file = load_unit_files(con, YEAR)["TP2"]
    unit = {"ma_don_vi": "TP2", "ten_don_vi": config.unit("TP2").name, "trang_thai": "rejected",
            "trang_thai_vi": "Bị trả lại", "so_nghiem_trong": sum(f["severity"] == "critical" for f in findings),
            "so_canh_bao": sum(f["severity"] == "warning" for f in findings), "source_path": f"{YEAR}/TP2.xlsx",
            "version": 1, "findings": findings}
    return write_feedback(work / "phan_hoi_TP2.xlsx", unit=unit, year=YEAR, config=config, file=file,
                          template=work / "mau_TP2.xlsx")


def tong_hop(work: Path, config) -> Path:
    db = work / "sample.duckdb"
    for year in range(2016, YEAR + 1):
        ingest_year(config, SAMPLE, year, db)
    aggregate(config, YEAR, 5, db)
    return next(p for p in write_outputs(config, YEAR, 5, db, work / "out") if p.suffix == ".xlsx")


def side_by_side(pages: list[Path], out: Path, per_row: int = 4) -> None:
    from PIL import Image

    images = [Image.open(p) for p in pages]
    w, h = max(i.width for i in images), max(i.height for i in images)
    rows = -(-len(images) // per_row)
    cols = min(per_row, len(images))
    sheet = Image.new("RGB", (cols * w + (cols - 1) * 8, rows * h + (rows - 1) * 8), "#888888")
    for n, image in enumerate(images):
        sheet.paste(image, ((n % per_row) * (w + 8), (n // per_row) * (h + 8)))
    sheet.save(out, optimize=True)


def main() -> None:
    config = load_config()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        books = {}
        for name, code in (("template_commune", "TP1"), ("template_department", "TCKH")):
            books[name] = work / f"{name}.xlsx"
            build_template(config, config.unit(code), YEAR).save(books[name])
        books["feedback"] = three_findings(work, config)
        books["tong_hop"] = tong_hop(work, config)
        pdf_dir = work / "pdf"
        subprocess.run(["soffice", f"-env:UserInstallation=file://{work}/lo", "--headless", "--convert-to", "pdf",
                        "--outdir", str(pdf_dir), *map(str, books.values())], check=True, capture_output=True)
        for name, path in books.items():
            subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf_dir / f"{path.stem}.pdf"),
                            str(work / name)], check=True)
            side_by_side(sorted(work.glob(f"{name}-*.png")), ROOT / "docs" / f"workbook_{name}.png")
        if len(sys.argv) > 1:
            shutil.copytree(pdf_dir, sys.argv[1], dirs_exist_ok=True)
    print("\n".join(sorted(p.name for p in (ROOT / "docs").glob("workbook_*.png"))))


if __name__ == "__main__":
    main()
