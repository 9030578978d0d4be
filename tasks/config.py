"""The one typed read of a district's configuration folder (units, indicators, settings)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG_DIR = PROJECT_ROOT / "config"

UnitKind = Literal["thi_tran", "xa", "phong_ban", "doan_the", "luc_luong_vu_trang"]
COMMUNE_KINDS = ("thi_tran", "xa")
ARMED_FORCES_KINDS = ("luc_luong_vu_trang",)


class ConfigError(Exception):
    """A configuration file is missing or malformed; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class District(_Strict):
    code: str = Field(pattern=r"^[A-Z0-9_]+$")
    name: str
    issuing_body: str
    province: str
    place_name: str
    signer_on_behalf: str = "TM. ỦY BAN NHÂN DÂN"
    signer_title: str
    signer_name: str
    document_symbol: str = "BC-UBND"
    recipients: list[str] = []


class Unit(_Strict):
    code: str = Field(pattern=r"^[A-Z0-9_]+$")
    name: str
    kind: UnitKind
    from_year: int | None = Field(default=None, alias="from")
    to_year: int | None = Field(default=None, alias="to")

    def expected_in(self, year: int) -> bool:
        return (self.from_year is None or self.from_year <= year) and (
            self.to_year is None or year <= self.to_year
        )

    @property
    def is_commune(self) -> bool:
        return self.kind in COMMUNE_KINDS


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
    # Plausible bounds of a reported value (ingest refuses values outside); default per value_type.
    min_value: float | None = Field(default=None, alias="min")
    max_value: float | None = Field(default=None, alias="max")

    @model_validator(mode="after")
    def _consistent(self) -> "Indicator":
        if self.aggregation == "ratio":
            if not (self.numerator and self.denominator):
                raise ValueError("a ratio needs numerator and denominator")
            if self.reported_by:
                raise ValueError("a ratio is derived by the district: leave reported_by out")
            if self.code in (self.numerator, self.denominator) or self.numerator == self.denominator:
                raise ValueError("a ratio's numerator, denominator and own code must be three different indicators")
        else:
            if not (self.reported_by and self.value_type and self.period):
                raise ValueError("a reported indicator needs reported_by, value_type and period")
        if self.aggregation == "fraction" and not (self.numerator and self.denominator):
            raise ValueError("a fraction needs numerator and denominator")
        return self

    @property
    def is_reported(self) -> bool:
        return self.reported_by is not None


class Settings(_Strict):
    yoy_change_threshold: float = Field(default=0.5, gt=0)
    yoy_min_base: float = Field(default=10, ge=0)


class Config(_Strict):
    """Everything a cycle needs to know about one district."""

    config_dir: Path
    district: District
    units: tuple[Unit, ...]
    indicators: tuple[Indicator, ...]
    settings: Settings

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


def load_config(config_dir: Path | str | None = None) -> Config:
    """Read units.yaml, indicators.yaml and (optional) settings.yaml from one folder."""
    config_dir = Path(config_dir or DEFAULT_CONFIG_DIR).resolve()
    if not config_dir.is_dir():
        raise ConfigError(f"{config_dir}: configuration folder not found")
    units_path = config_dir / "units.yaml"
    indicators_path = config_dir / "indicators.yaml"
    settings_path = config_dir / "settings.yaml"
    units_data = _read_yaml(units_path)
    indicators_data = _read_yaml(indicators_path)
    settings_data = _read_yaml(settings_path) if settings_path.exists() else {}

    class _Units(_Strict):
        district: District
        units: list[Unit]

    class _Indicators(_Strict):
        indicators: list[Indicator]

    parsed = {}
    for path, model, data in (
        (units_path, _Units, units_data),
        (indicators_path, _Indicators, indicators_data),
        (settings_path, Settings, settings_data),
    ):
        try:
            parsed[path] = model.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(_describe(path, exc, data)) from None

    units = parsed[units_path]
    indicators = parsed[indicators_path].indicators
    _check_unique(units_path, "units", [u.code for u in units.units])
    _check_unique(indicators_path, "indicators", [i.code for i in indicators])
    codes = {i.code for i in indicators}
    unit_codes = {u.code for u in units.units}
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
    return Config(
        config_dir=config_dir,
        district=units.district,
        units=tuple(units.units),
        indicators=tuple(indicators),
        settings=parsed[settings_path],
    )


def _check_unique(path: Path, key: str, codes: list[str]) -> None:
    seen = set()
    for code in codes:
        if code in seen:
            raise ConfigError(f"{path}: key {key}[{code}]: code appears twice")
        seen.add(code)
