"""The one typed read of a reporting level's configuration folder (units, indicators, awards, rules, settings).

A district (huyện), and since the 2025 reform a province (tỉnh) or a commune (xã), is the same
cycle with another `units.yaml` (`district.level`). docs/reform.md shows each set-up.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG_DIR = PROJECT_ROOT / "config"

Level = Literal["huyen", "tinh", "xa"]
UnitKind = Literal[
    # commune level: what `reported_by: communes` means
    "thi_tran", "xa", "phuong", "dac_khu",
    # departments: of a district (phòng), of a province (sở, ban, ngành)
    "phong_ban", "so_ban_nganh",
    "doan_the", "luc_luong_vu_trang",
    # a commune's own units: hamlets and urban quarters, public service units (schools, clinics)
    "ap_khom", "don_vi_su_nghiep",
]
COMMUNE_KINDS = ("thi_tran", "xa", "phuong", "dac_khu")
RECIPIENTS = {"tap_the": "Tập thể", "ca_nhan": "Cá nhân"}
# The word a reporting level's own name starts with ("huyện Hồng Ngự"); the default issuing body
# and recipients are built from it. Report wording per level lives in config/levels.yaml.
LEVEL_NOUN = {"huyen": "huyện", "tinh": "tỉnh", "xa": "xã"}
STANDING_OFFICE = {"huyen": "Phòng Nội vụ", "tinh": "Sở Nội vụ", "xa": "Văn phòng Ủy ban nhân dân xã"}
_NAME_NOUNS = ("huyện", "tỉnh", "xã", "phường", "đặc khu", "thị xã", "thành phố", "quận", "thị trấn")


class ConfigError(Exception):
    """A configuration file is missing or malformed; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def ascii_code(text: str) -> str:
    """An upper-case ASCII code from a Vietnamese name: "tỉnh Đồng Tháp" -> "TINH_DONG_THAP"."""
    plain = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.sub(r"[^A-Z0-9]+", "_", plain.upper()).strip("_") or "DON_VI"


class District(_Strict):
    """The reporting level itself. The contract names `name`, `province`, `place_name` and the signer;
    everything else has a default derived from them and from `level`."""

    level: Level = "huyen"
    code: str | None = Field(default=None, pattern=r"^[A-Z0-9_]+$")
    name: str
    issuing_body: str | None = None
    province: str
    place_name: str
    signer_on_behalf: str = "TM. ỦY BAN NHÂN DÂN"
    signer_title: str
    signer_name: str
    document_symbol: str = "BC-UBND"
    recipients: list[str] | None = None
    # The standing office units send their files to (named in their feedback).
    standing_office: str | None = None

    @model_validator(mode="after")
    def _defaults(self) -> "District":
        noun = LEVEL_NOUN[self.level]
        # "Hồng Ngự" at level huyen is "huyện Hồng Ngự"; a name already saying what it is stays.
        full = self.name if self.name.lower().startswith(_NAME_NOUNS) else f"{noun} {self.name}"
        defaults: dict[str, Any] = {}
        if self.code is None:
            defaults["code"] = ascii_code(full)
        if self.issuing_body is None:
            defaults["issuing_body"] = f"Ủy ban nhân dân {full}"
        if self.recipients is None:
            above = "Bộ Nội vụ" if self.level == "tinh" else f"Sở Nội vụ tỉnh {self.province}"
            defaults["recipients"] = [above, "Lưu: VT"]
        if self.standing_office is None:
            defaults["standing_office"] = STANDING_OFFICE[self.level]
        for key, value in defaults.items():
            object.__setattr__(self, key, value)
        return self


class UnitGroup(_Strict):
    """A cụm or khối thi đua: units emulating together, which tables may be broken down by."""

    code: str = Field(pattern=r"^[A-Z0-9_]+$")
    name: str


class Unit(_Strict):
    code: str = Field(pattern=r"^[A-Z0-9_]+$")
    name: str
    kind: UnitKind
    # `from`/`to` are a year (2015) or the date a merger took effect (2025-07-01).
    starts: int | dt.date | None = Field(default=None, alias="from")
    ends: int | dt.date | None = Field(default=None, alias="to")
    merged_from: tuple[str, ...] = ()
    group: str | None = None
    # Derived by load_config for a predecessor of a merger: the unit it became part of.
    merged_into: str | None = None

    @field_validator("starts", "ends", mode="before")
    @classmethod
    def _date_or_year(cls, value):
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            return dt.date.fromisoformat(value.strip())
        return value

    @model_validator(mode="after")
    def _merger_has_date(self) -> "Unit":
        if self.merged_from and self.starts is None:
            raise ValueError("a merged unit needs `from:` the date the merger took effect (e.g. 2025-07-01)")
        if self.code in self.merged_from:
            raise ValueError("a unit cannot be its own predecessor")
        return self

    @property
    def from_year(self) -> int | None:
        return self.starts.year if isinstance(self.starts, dt.date) else self.starts

    @property
    def to_year(self) -> int | None:
        return self.ends.year if isinstance(self.ends, dt.date) else self.ends

    @property
    def merged_on(self) -> dt.date | None:
        """The date the merger that made this unit took effect (None if it was not made by one)."""
        if not self.merged_from:
            return None
        return self.starts if isinstance(self.starts, dt.date) else dt.date(self.starts, 1, 1)

    def expected_in(self, year: int) -> bool:
        """Mirrors sql/reference/int_expected_unit_years.sql, which the SQL side selects from."""
        return (self.from_year is None or self.from_year <= year) and (
            self.to_year is None or year <= self.to_year
        )

    @property
    def is_commune(self) -> bool:
        return self.kind in COMMUNE_KINDS


class Award(_Strict):
    """A title or form of commendation the units may report (config/awards.yaml)."""

    code: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str                                   # the label a unit may write instead of the code
    table_label: str | None = None              # the award table's row label (default: name)
    aliases: tuple[str, ...] = ()               # other labels accepted
    recipients: tuple[Literal["tap_the", "ca_nhan"], ...] = ("tap_the", "ca_nhan")
    from_year: int | None = Field(default=None, alias="from")
    to_year: int | None = Field(default=None, alias="to")

    def exists_in(self, year: int) -> bool:
        return (self.from_year is None or self.from_year <= year) and (self.to_year is None or year <= self.to_year)


class LegalSource(_Strict):
    document: str
    article: str | None = None
    clause: str | None = None

    def cite_vi(self) -> str:
        return " ".join(p for p in (self.clause, self.article, self.document) if p)


class Rule(_Strict):
    """A legal rule as dated data (config/rules.yaml); tasks/rules.py holds what each kind checks."""

    code: str = Field(pattern=r"^[a-z0-9_]+$")
    kind: Literal["prerequisite", "share_cap"]
    name_vi: str
    source: LegalSource
    # By the award's decision date (ngay_quyet_dinh); a row without one counts as 31 December of its year.
    effective_from: dt.date
    effective_to: dt.date | None = None
    severity: Literal["critical", "warning"] = "warning"
    params: dict[str, Any] = {}
    enabled: bool = True
    needs_confirmation: bool = False
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "Rule":
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        if self.enabled and self.needs_confirmation:
            raise ValueError("a rule marked needs_confirmation ships disabled: confirm its text, "
                             "then set needs_confirmation: false and enabled: true")
        if self.needs_confirmation and not self.note:
            raise ValueError("a rule needing confirmation says why in `note`")
        return self

    def in_force_on(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    def in_force_during(self, year: int) -> bool:
        """In force on any day of the year (the rule may still skip awards decided outside its dates)."""
        return self.effective_from <= dt.date(year, 12, 31) and (
            self.effective_to is None or dt.date(year, 1, 1) <= self.effective_to)

    @property
    def cite_vi(self) -> str:
        return self.source.cite_vi()


class Indicator(_Strict):
    code: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    unit: str
    decimals: int = Field(ge=0, le=6)
    value_type: Literal["count", "amount", "percent", "flag", "index", "growth"] | None = None
    reported_by: str | None = None
    aggregation: Literal["sum", "ratio", "count_true", "single", "fraction"]
    numerator: str | None = None
    denominator: str | None = None
    period: Literal["sum", "last"] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "Indicator":
        if self.aggregation == "ratio":
            if not (self.numerator and self.denominator):
                raise ValueError("a ratio needs numerator and denominator")
            if self.reported_by:
                raise ValueError("a ratio is derived by the district: leave reported_by out")
        else:
            if not (self.reported_by and self.value_type and self.period):
                raise ValueError("a reported indicator needs reported_by, value_type and period")
        if self.aggregation == "fraction" and not (self.numerator and self.denominator):
            raise ValueError("a fraction needs numerator and denominator")
        return self

    @property
    def is_reported(self) -> bool:
        return self.reported_by is not None


class Submission(_Strict):
    """When and to whom units send their workbook (printed in templates and feedback)."""

    han_nop: str = Field(default="10/12", pattern=r"^\d{1,2}/\d{1,2}$")  # day/month of the report's year
    noi_nhan: str = "Phòng Nội vụ"
    cach_gui: str = "qua thư điện tử hoặc hệ thống quản lý văn bản"

    @model_validator(mode="after")
    def _real_day(self) -> "Submission":
        day, month = map(int, self.han_nop.split("/"))
        dt.date(2000, month, day)  # raises ValueError (reported with the key) for 31/2 or 12/31
        return self

    def deadline(self, year: int) -> str:
        day, month = map(int, self.han_nop.split("/"))
        return f"{day:02d}/{month:02d}/{year}"


class Settings(_Strict):
    yoy_change_threshold: float = Field(default=0.5, gt=0)
    yoy_min_base: float = Field(default=10, ge=0)
    nop_bao_cao: Submission = Submission()


class Config(_Strict):
    """Everything a cycle needs to know about one reporting level (district, province or commune)."""

    config_dir: Path
    district: District
    units: tuple[Unit, ...]
    indicators: tuple[Indicator, ...]
    settings: Settings
    groups: tuple[UnitGroup, ...] = ()
    awards: tuple[Award, ...] = ()
    rules: tuple[Rule, ...] = ()

    def unit(self, code: str) -> Unit | None:
        return next((u for u in self.units if u.code == code), None)

    def indicator(self, code: str) -> Indicator | None:
        return next((i for i in self.indicators if i.code == code), None)

    def expected_units(self, year: int) -> list[Unit]:
        return [u for u in self.units if u.expected_in(year)]

    def indicators_for(self, unit: Unit) -> list[Indicator]:
        """Indicators this unit reports, in catalogue order."""
        return [i for i in self.indicators if reports(i, unit)]

    def reporters(self, indicator: Indicator, year: int) -> list[Unit]:
        return [u for u in self.expected_units(year) if reports(indicator, u)]

    def mergers(self) -> list[Unit]:
        """Units made by a merger, in registry order."""
        return [u for u in self.units if u.merged_from]

    def ratio_pairs(self) -> list[tuple[str, str]]:
        """(numerator, denominator) pairs that must hold within one unit."""
        return [
            (i.numerator, i.denominator)
            for i in self.indicators
            if i.numerator and i.denominator
        ]


def reports(indicator: Indicator, unit: Unit) -> bool:
    if indicator.reported_by is None:
        return False
    if indicator.reported_by == "communes":
        return unit.is_commune
    return indicator.reported_by == unit.code


def _read_yaml(path: Path) -> dict:
    if not path.is_file():
        raise ConfigError(f"{path}: file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def _describe(path: Path, exc: ValidationError, data: dict) -> str:
    lines = []
    for err in exc.errors():
        loc = list(err["loc"])
        # Name list items by their code where there is one: "units[TTT].kind", not "units.0.kind".
        parts, node = [], data
        for key in loc:
            if isinstance(key, int) and isinstance(node, list) and key < len(node):
                node = node[key]
                code = node.get("code") if isinstance(node, dict) else None
                parts[-1] = f"{parts[-1]}[{code if code else key}]"
            else:
                parts.append(str(key))
                node = node.get(key) if isinstance(node, dict) else None
        lines.append(f"{path}: key {'.'.join(parts)}: {err['msg']}")
    return "\n".join(lines)


class _Units(_Strict):
    district: District
    groups: list[UnitGroup] = []
    units: list[Unit]


class _Indicators(_Strict):
    indicators: list[Indicator]


class _Awards(_Strict):
    awards: list[Award]


class _Rules(_Strict):
    rules: list[Rule] = []


def _national(config_dir: Path, name: str) -> Path:
    """awards.yaml and rules.yaml are national: a folder without its own uses the shipped one."""
    own = config_dir / name
    return own if own.exists() else DEFAULT_CONFIG_DIR / name


def load_config(config_dir: Path | str | None = None) -> Config:
    """Read units.yaml, indicators.yaml, awards.yaml, rules.yaml and (optional) settings.yaml from one folder."""
    config_dir = Path(config_dir or DEFAULT_CONFIG_DIR).resolve()
    if not config_dir.is_dir():
        raise ConfigError(f"{config_dir}: configuration folder not found")
    units_path = config_dir / "units.yaml"
    indicators_path = config_dir / "indicators.yaml"
    settings_path = config_dir / "settings.yaml"
    awards_path = _national(config_dir, "awards.yaml")
    rules_path = _national(config_dir, "rules.yaml")

    parsed = {}
    for path, model, optional in (
        (units_path, _Units, False),
        (indicators_path, _Indicators, False),
        (settings_path, Settings, True),
        (awards_path, _Awards, False),
        (rules_path, _Rules, False),
    ):
        data = _read_yaml(path) if path.exists() or not optional else {}
        try:
            parsed[path] = model.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(_describe(path, exc, data)) from None

    registry = parsed[units_path]
    indicators = parsed[indicators_path].indicators
    awards = parsed[awards_path].awards
    rules = parsed[rules_path].rules
    _check_unique(units_path, "units", [u.code for u in registry.units])
    _check_unique(units_path, "groups", [g.code for g in registry.groups])
    _check_unique(indicators_path, "indicators", [i.code for i in indicators])
    _check_unique(awards_path, "awards", [a.code for a in awards])
    _check_unique(rules_path, "rules", [r.code for r in rules])
    codes = {i.code for i in indicators}
    unit_codes = {u.code for u in registry.units}
    for ind in indicators:
        for key in ("numerator", "denominator"):
            ref = getattr(ind, key)
            if ref and ref not in codes:
                raise ConfigError(
                    f"{indicators_path}: key indicators[{ind.code}].{key}: unknown indicator {ref!r}"
                )
        if ind.reported_by not in (None, "communes") and ind.reported_by not in unit_codes:
            raise ConfigError(
                f"{indicators_path}: key indicators[{ind.code}].reported_by: "
                f"{ind.reported_by!r} is neither 'communes' nor a unit code in units.yaml"
            )
    group_codes = {g.code for g in registry.groups}
    for unit in registry.units:
        if unit.group is not None and unit.group not in group_codes:
            raise ConfigError(f"{units_path}: key units[{unit.code}].group: {unit.group!r} is not in `groups`")
    _check_awards_and_rules(awards_path, rules_path, awards, rules)
    return Config(
        config_dir=config_dir,
        district=registry.district,
        groups=tuple(registry.groups),
        units=_with_mergers(units_path, registry.units),
        indicators=tuple(indicators),
        settings=parsed[settings_path],
        awards=tuple(awards),
        rules=tuple(rules),
    )


def _with_mergers(path: Path, units: list[Unit]) -> tuple[Unit, ...]:
    """A predecessor of a merger is expected up to the year before it took effect (unless `to` says)."""
    by_code = {u.code: u for u in units}
    into: dict[str, Unit] = {}
    for unit in units:
        for code in unit.merged_from:
            if code not in by_code:
                raise ConfigError(f"{path}: key units[{unit.code}].merged_from: {code!r} is not a unit in units.yaml "
                                  "(list the predecessor too, with the years it reported)")
            if code in into:
                raise ConfigError(f"{path}: key units[{unit.code}].merged_from: {code!r} is already merged into "
                                  f"{into[code].code}")
            into[code] = unit
    out = []
    for unit in units:
        merged = into.get(unit.code)
        if merged is not None:
            last = merged.merged_on.year - 1
            if unit.to_year is not None and unit.to_year > last:
                raise ConfigError(
                    f"{path}: key units[{unit.code}].to: {unit.to_year} is after the merger into {merged.code} "
                    f"(took effect {merged.merged_on:%d/%m/%Y}); the last year it reports is {last}")
            unit = unit.model_copy(update={"ends": unit.ends if unit.ends is not None else last,
                                           "merged_into": merged.code})
        out.append(unit)
    return tuple(out)


def _check_awards_and_rules(awards_path: Path, rules_path: Path, awards: list[Award], rules: list[Rule]) -> None:
    codes = {a.code for a in awards}
    for rule in rules:
        titles = [rule.params.get("title"), *rule.params.get("prerequisites", ()), *rule.params.get("base_titles", ()),
                  *(t for ts in (rule.params.get("prerequisites_by_kind") or {}).values() for t in ts)]
        for title in titles:
            if title is not None and title not in codes:
                raise ConfigError(f"{rules_path}: key rules[{rule.code}].params: {title!r} is not an award "
                                  f"code in {awards_path.name}")
        need = {"prerequisite": ("title", "prerequisites"), "share_cap": ("title", "base_titles", "share")}[rule.kind]
        for key in need:
            if key not in rule.params:
                raise ConfigError(f"{rules_path}: key rules[{rule.code}].params.{key}: required for kind {rule.kind}")


def _check_unique(path: Path, key: str, codes: list[str]) -> None:
    seen = set()
    for code in codes:
        if code in seen:
            raise ConfigError(f"{path}: key {key}[{code}]: code appears twice")
        seen.add(code)
