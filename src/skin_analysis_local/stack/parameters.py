"""Template parameter values: defaults, then samconfig.toml's parameter_overrides, then the caller's overrides."""

from __future__ import annotations

import shlex
import tomllib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path


class ParameterError(ValueError):
    """Raised when an override names an unknown parameter or breaks its AllowedValues/MinValue/MaxValue."""


def samconfig_overrides(samconfig: Path, config_env: str = "default") -> dict[str, str]:
    """`parameter_overrides` of `[<config_env>.deploy.parameters]` in samconfig.toml, as a dict."""
    if not samconfig.is_file():
        return {}
    config = tomllib.loads(samconfig.read_text())
    raw = config.get(config_env, {}).get("deploy", {}).get("parameters", {}).get("parameter_overrides", "")
    if isinstance(raw, list):
        raw = " ".join(raw)
    return parse_overrides(shlex.split(raw))


def samconfig_setting(samconfig: Path, key: str, config_env: str = "default") -> str | None:
    """A deploy setting (`stack_name`, `region`) as `sam deploy --config-env <config_env>` would read it."""
    if not samconfig.is_file():
        return None
    config = tomllib.loads(samconfig.read_text())
    for env in dict.fromkeys((config_env, "default")):
        for command in ("deploy", "global"):
            value = config.get(env, {}).get(command, {}).get("parameters", {}).get(key)
            if value is not None:
                return str(value)
    return None


def parse_overrides(items: list[str]) -> dict[str, str]:
    """`Name=Value` strings (the `--param` flags and samconfig's list) as a dict."""
    pairs: dict[str, str] = {}
    for item in items:
        name, separator, value = item.partition("=")
        if not separator or not name:
            raise ParameterError(f"{item!r} is not Name=Value")
        pairs[name] = value
    return pairs


def parameter_values(template: dict[str, Any], overrides: dict[str, str]) -> dict[str, str]:
    """Every declared parameter's value, as CloudFormation would validate it at deploy time."""
    declared: dict[str, dict[str, Any]] = template.get("Parameters", {})
    unknown = set(overrides) - set(declared)
    if unknown:
        raise ParameterError(f"unknown template parameters: {', '.join(sorted(unknown))}")
    values: dict[str, str] = {}
    for name, spec in declared.items():
        if name in overrides:
            value = overrides[name]
        elif "Default" in spec:
            value = str(spec["Default"])
        else:
            raise ParameterError(f"parameter {name} has no default; pass --param {name}=...")
        _validate(name, spec, value)
        values[name] = value
    return values


def _validate(name: str, spec: dict[str, Any], value: str) -> None:
    allowed = spec.get("AllowedValues")
    if allowed is not None and value not in [str(option) for option in allowed]:
        raise ParameterError(f"{name}={value!r} is not one of {allowed}")
    if spec.get("Type") != "Number":
        return
    try:
        number = float(value)
    except ValueError:
        raise ParameterError(f"{name}={value!r} is not a number") from None
    if "MinValue" in spec and number < float(spec["MinValue"]):
        raise ParameterError(f"{name}={value} is below its MinValue {spec['MinValue']}")
    if "MaxValue" in spec and number > float(spec["MaxValue"]):
        raise ParameterError(f"{name}={value} is above its MaxValue {spec['MaxValue']}")
