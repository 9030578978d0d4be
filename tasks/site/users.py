"""The site's accounts: a YAML file of names, roles and argon2 password hashes."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ROLES = ("reviewer", "office", "unit")
ROLE_VI = {"reviewer": "Hội đồng (người duyệt)", "office": "Phòng Nội vụ", "unit": "Đơn vị"}
USERS_FILE_NAME = "site_users.yaml"
_NAME = re.compile(r"^[\w.@-]{1,64}$")
_hasher = PasswordHasher()
# Verifying against this when the name is unknown keeps the answer time the same either way.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class UsersError(ValueError):
    """A users-file change that cannot be made; the message says why, in Vietnamese."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    unit: str | None = None

    @property
    def sees_everything(self) -> bool:
        return self.role in ("reviewer", "office")

    def may_see_unit(self, code: str) -> bool:
        return self.sees_everything or self.unit == code


def default_users_file(config_dir: Path) -> Path:
    """Beside the district's configuration, so one district's accounts travel with its config."""
    return Path(config_dir) / USERS_FILE_NAME


def _read(path: Path) -> dict[str, dict]:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    users = data.get("users") or {}
    if not isinstance(users, dict):
        raise UsersError(f"{path}: 'users' phải là một bảng tên → tài khoản")
    return users


def _write(path: Path, users: dict[str, dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    text = "# Tài khoản của trang xem xét (thidua users add/remove); mật khẩu chỉ lưu dạng băm argon2.\n"
    text += yaml.safe_dump({"users": users}, allow_unicode=True, sort_keys=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    tmp.replace(path)


def add_user(path: Path, name: str, *, role: str, password: str, unit: str | None = None,
             known_units: set[str] | None = None) -> User:
    """Add or replace one account; a unit account needs a unit code of the registry."""
    if not _NAME.match(name or ""):
        raise UsersError(f"tên tài khoản {name!r} không hợp lệ: chỉ chữ, số, dấu . _ - @ (tối đa 64 ký tự)")
    if role not in ROLES:
        raise UsersError(f"vai trò phải là một trong {', '.join(ROLES)}, không phải {role!r}")
    if role == "unit":
        if not unit:
            raise UsersError("tài khoản đơn vị cần --unit MÃ_ĐƠN_VỊ")
        unit = unit.strip().upper()
        if known_units is not None and unit not in known_units:
            raise UsersError(f"không có đơn vị mã {unit} trong danh mục units.yaml")
    elif unit:
        raise UsersError("chỉ tài khoản đơn vị (--role unit) mới có --unit")
    if len(password or "") < 8:
        raise UsersError("mật khẩu cần ít nhất 8 ký tự")
    users = _read(path)
    users[name] = {"role": role, "unit": unit, "password_hash": _hasher.hash(password)}
    _write(path, users)
    return User(name, role, unit)


def remove_user(path: Path, name: str) -> None:
    users = _read(path)
    if name not in users:
        raise UsersError(f"không có tài khoản {name!r} trong {path}")
    del users[name]
    _write(path, users)


def list_users(path: Path) -> list[User]:
    return [User(name, u["role"], u.get("unit")) for name, u in sorted(_read(path).items())]


def authenticate(path: Path, name: str, password: str) -> User | None:
    """The account if the password matches its hash, else None (same work for unknown names)."""
    record = _read(path).get(name or "")
    stored = record["password_hash"] if record else _DUMMY_HASH
    try:
        _hasher.verify(stored, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if record is None or record.get("role") not in ROLES:
        return None
    return User(name, record["role"], record.get("unit"))


def lookup(path: Path, name: str) -> User | None:
    """The account a session names, if it still exists (a removed account loses its sessions)."""
    record = _read(path).get(name or "")
    if not record or record.get("role") not in ROLES:
        return None
    return User(name, record["role"], record.get("unit"))
