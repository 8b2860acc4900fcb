"""CloudFormation intrinsics (Ref, GetAtt, Sub, Join, Select, Split) resolved against the local deployment."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ACCOUNT_ID = "123456789012"  # moto's default account
_NO_VALUE = object()
_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")


class UnresolvableError(ValueError):
    """Raised when a value names a parameter, resource or attribute the deployment does not know (yet)."""


@dataclass
class Resolver:
    """Parameters, pseudo-parameters and the physical ids and attributes of resources created so far."""

    stack_name: str
    region: str
    parameters: dict[str, str]
    physical_ids: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)

    def pseudo_parameters(self) -> dict[str, str]:
        """AWS::* pseudo-parameters as CloudFormation would give them in moto's account."""
        return {
            "AWS::StackName": self.stack_name,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Region": self.region,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{ACCOUNT_ID}:stack/{self.stack_name}/local",
        }

    def record(self, logical_id: str, physical_id: str, **attributes: str) -> None:
        """Remember what a resource became, for every later Ref and GetAtt."""
        self.physical_ids[logical_id] = physical_id
        self.attributes[logical_id] = attributes

    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic replaced by its concrete value (AWS::NoValue entries dropped)."""
        resolved = self._resolve(value)
        return None if resolved is _NO_VALUE else resolved

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = (self._resolve(item) for item in value)
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self.ref(argument)
            if key.startswith("Fn::"):
                return self._function(key, argument)
        pairs = ((key, self._resolve(inner)) for key, inner in value.items())
        return {key: inner for key, inner in pairs if inner is not _NO_VALUE}

    def _function(self, name: str, argument: Any) -> Any:
        if name == "Fn::GetAtt":
            logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
            return self.get_att(logical_id, attribute)
        if name == "Fn::Sub":
            text, variables = argument if isinstance(argument, list) else (argument, {})
            return self.sub(text, {key: str(self._resolve(inner)) for key, inner in variables.items()})
        if name == "Fn::Join":
            separator, items = argument
            return separator.join(str(item) for item in self._resolve(items))
        if name == "Fn::Select":
            index, items = argument
            return self._resolve(items)[int(self._resolve(index))]
        if name == "Fn::Split":
            separator, text = argument
            return str(self._resolve(text)).split(separator)
        raise UnresolvableError(f"{name} is not supported by the local stack")

    def ref(self, name: str) -> Any:
        """What `!Ref name` gives: a parameter's value, a pseudo-parameter or a resource's physical id."""
        if name == "AWS::NoValue":
            return _NO_VALUE
        pseudo = self.pseudo_parameters()
        for table in (self.parameters, pseudo, self.physical_ids):
            if name in table:
                return table[name]
        raise UnresolvableError(f"Ref {name}: no such parameter, or the resource is not created yet")

    def get_att(self, logical_id: str, attribute: str) -> str:
        """What `!GetAtt logical_id.attribute` gives."""
        try:
            return self.attributes[logical_id][attribute]
        except KeyError:
            raise UnresolvableError(f"GetAtt {logical_id}.{attribute} is not known locally") from None

    def sub(self, text: str, variables: dict[str, str] | None = None) -> str:
        """`Fn::Sub` of `text`: ${Name}, ${Resource.Attribute} and ${!Literal}."""
        extra = variables or {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in extra:
                return extra[name]
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return self.get_att(logical_id, attribute)
            return str(self.ref(name))

        return _SUB_VARIABLE.sub(replace, text).replace("${!", "${")
