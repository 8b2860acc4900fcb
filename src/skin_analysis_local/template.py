"""Reads template.yaml and runs the SAM translator offline, as `sam deploy` would before CloudFormation.

The local stack, the template tests and the least-privilege checks all read the same expanded template, so
what runs offline is what deploys.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from samtranslator.translator.transform import transform

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = PROJECT_ROOT / "template.yaml"


class _OfflinePolicyLoader:
    """The SAM translator asks IAM for managed policy ARNs; offline we answer with the ARN AWS would give."""

    def load(self) -> dict[str, str]:
        return {}

    def get_managed_policy_map(self) -> dict[str, str]:
        return {}


_SHORT_FORMS = (
    "Base64",
    "Cidr",
    "And",
    "Equals",
    "FindInMap",
    "GetAtt",
    "GetAZs",
    "If",
    "ImportValue",
    "Join",
    "Not",
    "Or",
    "Select",
    "Split",
    "Sub",
    "Transform",
)


class _TemplateLoader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """YAML with CloudFormation's short-form tags; a duplicate key is an error, as in CloudFormation.

    Reading the template this way instead of through cfn-lint's decoder spares `local up` a second of imports.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [self.construct_object(key_node, deep=True) for key_node, _ in node.value]
        duplicates = {key for key in keys if keys.count(key) > 1}
        if duplicates:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate keys {sorted(duplicates)}", node.start_mark)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def _short_form(name: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        if name in {"Ref", "Condition"}:
            return {name: value}
        if name == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {f"Fn::{name}": value}

    return construct


for _name in (*_SHORT_FORMS, "Ref", "Condition"):
    _TemplateLoader.add_constructor(f"!{_name}", _short_form(_name))


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """template.yaml as plain JSON-like data, short-form intrinsics (!Ref, !Sub ...) expanded to long form."""
    try:
        loaded = yaml.load(path.read_text(), Loader=_TemplateLoader)  # noqa: S506 - a SafeLoader with CFN tags
    except yaml.YAMLError as error:
        raise ValueError(f"{path} does not parse: {error}") from error
    if not isinstance(loaded, dict):
        raise ValueError(f"{path} is not a template (a mapping at the top)")
    plain: dict[str, Any] = json.loads(json.dumps(loaded))
    return plain


def sam_transform(
    template: dict[str, Any] | None = None, parameters: dict[str, str] | None = None, region: str = "us-east-1"
) -> dict[str, Any]:
    """The plain CloudFormation template the SAM translator makes of ours (no AWS call is made)."""
    source = _package_locally(copy.deepcopy(template if template is not None else load_template()))
    saved_region = os.environ.get("AWS_DEFAULT_REGION")
    # The translator reads the region (for ARNs and partition) from the environment.
    os.environ["AWS_DEFAULT_REGION"] = region
    try:
        return dict(transform(source, parameters or {}, _OfflinePolicyLoader()))
    finally:
        if saved_region is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = saved_region


LOCAL_ARTIFACTS_BUCKET = "local-artifacts"
_LOCAL_URI_PROPERTIES = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
}


def _package_locally(template: dict[str, Any]) -> dict[str, Any]:
    """What `sam package` does, offline: code paths become S3 URIs, the ASL file is inlined.

    Code URIs point at `s3://local-artifacts/<path in the repo>`, so the local stack can map them back.
    """
    for resource in template["Resources"].values():
        properties = resource.setdefault("Properties", {})
        uri_property = _LOCAL_URI_PROPERTIES.get(resource["Type"])
        if uri_property and isinstance(properties.get(uri_property), str):
            properties[uri_property] = f"s3://{LOCAL_ARTIFACTS_BUCKET}/{properties[uri_property].rstrip('/')}"
        if resource["Type"] == "AWS::Serverless::StateMachine" and "DefinitionUri" in properties:
            properties["Definition"] = json.loads((PROJECT_ROOT / properties.pop("DefinitionUri")).read_text())
    return template


def local_code_path(code: dict[str, str] | str) -> PurePosixPath:
    """The repo-relative directory a translated Code/Content (or an `s3://local-artifacts/...` URI) points at."""
    if isinstance(code, str):
        prefix = f"s3://{LOCAL_ARTIFACTS_BUCKET}/"
        if not code.startswith(prefix):
            raise ValueError(f"{code!r} is not a local artifact URI")
        return PurePosixPath(code.removeprefix(prefix))
    if code.get("S3Bucket") != LOCAL_ARTIFACTS_BUCKET:
        raise ValueError(f"{code!r} is not a local artifact")
    return PurePosixPath(code["S3Key"])


def references(value: Any) -> set[str]:
    """Logical ids a property value depends on through Ref, Fn::GetAtt and Fn::Sub."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) else str(inner).split(".", 1)[0]
                found.add(target)
            elif key == "Fn::Sub":
                text, variables = (inner[0], inner[1]) if isinstance(inner, list) else (inner, {})
                found |= _sub_references(text) - set(variables)
                found |= references(variables)
            else:
                found |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= references(inner)
    return found


def _sub_references(text: str) -> set[str]:
    names: set[str] = set()
    for chunk in text.split("${")[1:]:
        name = chunk.split("}", 1)[0]
        if not name.startswith("!"):
            names.add(name.split(".", 1)[0])
    return names


def dependency_graph(cfn: dict[str, Any]) -> dict[str, set[str]]:
    """Resource -> the resources it depends on (parameters and pseudo-parameters left out)."""
    resources = cfn["Resources"]
    graph: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        depends_on = resource.get("DependsOn", [])
        explicit = {depends_on} if isinstance(depends_on, str) else set(depends_on)
        graph[logical_id] = (references(resource.get("Properties", {})) | explicit) & set(resources)
    return graph
