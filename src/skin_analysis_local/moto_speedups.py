"""Takes per-request costs out of moto's server process, which every AWS call of the local stack goes through.

- The dispatcher finds a request's backend by listing moto's package directory (~200 `isdir` calls) and trying
  every backend's URL patterns, under one lock, on every request. The answer depends on the host alone.
- Step Functions builds a new boto3 client for every service task it runs (each Lambda invoke, each SQS send,
  each DynamoDB update): several milliseconds of CPU on the server's GIL per state. Clients are thread-safe.
- Step Functions parses the state machine's ASL with ANTLR again for every execution it starts (and each
  intrinsic function in it): over a tenth of the server's CPU in a steady stream of analyses. The syntax tree of a
  definition never changes, so it is parsed once; each execution still gets program objects of its own.
- Step Functions also compiles every JSONPath (`InputPath`, `Parameters` values, `ResultPath`,
  `TimeoutSecondsPath`, Choice variables) each time a state evaluates it, and jsonpath-ng builds a new LALR parser
  (its grammar tables included) for each compile: another tenth of the server's CPU. A compiled path is immutable
  (finding and updating only read it), so each path string is compiled once.
- Every request lists its handler class's methods (`inspect.getmembers`, a few hundred members) to see whether
  the action is one of them. A class's method names do not change while the server runs (patches replace
  methods, never add actions), so each class is listed once.
- The response serializer works out, for every member of every structure it writes (ten per DynamoDB attribute
  value), which keys of the Python object might hold it, instantiating six alias providers each time: most of a
  DynamoDB request's cost for items with a few dozen attributes. For objects without serialization aliases of
  their own (plain dicts, here), that list depends only on the member, its shape and the object's type; and a
  plain dict is looked up without raising (and catching) a KeyError for each absent member.
- Even so, serializing an item-bearing DynamoDB answer (an UpdateItem returning the whole item, a GetItem, a
  Query) walks the output shape member by member: a tenth of the server's CPU. Those answers are already in
  DynamoDB's wire format (attribute values as `{type: value}`, numbers as strings), so they are written as JSON
  directly: the operation's own members, binary values base64-encoded, as the serializer writes them.
- DynamoDB's TransactWriteItems deep-copies every table it touches, whole, to roll back on cancellation: its cost
  grows with the table (tens of milliseconds after a few hundred analyses, with every other DynamoDB request
  waiting behind it). Only the items the transaction names can change, so only they are copied.

None of them changes what moto answers; they only spare work whose result is known.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import sys
import threading
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import boto3
from antlr4 import CommonTokenStream, InputStream  # type: ignore[import-untyped]
from botocore.config import Config
from moto.core import responses as moto_responses
from moto.core import serialize
from moto.core.serialize import DEFAULT_ALIAS_PROVIDERS, AttributePickerContext, XFormedAttributePicker
from moto.core.utils import MISSING, get_value, method_names_from_class  # type: ignore[attr-defined]
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoResult
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.settings import moto_server_port
from moto.stepfunctions.parser.asl.antlr.runtime.ASLIntrinsicLexer import ASLIntrinsicLexer
from moto.stepfunctions.parser.asl.antlr.runtime.ASLIntrinsicParser import ASLIntrinsicParser
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds
from moto.stepfunctions.parser.asl.parse import preprocessor as asl_preprocessor
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.parse.intrinsic import preprocessor as intrinsic_preprocessor
from moto.stepfunctions.parser.asl.parse.intrinsic.intrinsic_parser import IntrinsicParser
from moto.stepfunctions.parser.asl.utils import boto_client, json_path

from skin_analysis_local.process_patch import once_per_process

if TYPE_CHECKING:
    from collections.abc import Iterator

# Step Functions calls one service from many executions at once; botocore's default pool (10) would churn.
_POOL_CONNECTIONS = 64


@once_per_process
def speed_up_moto_server() -> None:
    """Patch moto (once per process) with each of the savings above."""
    DomainDispatcherApplication.get_backend_for_host = _remembered(  # type: ignore[method-assign]
        DomainDispatcherApplication.get_backend_for_host
    )
    _reuse_step_functions_clients()
    _parse_each_definition_once()
    _compile_each_json_path_once()
    moto_responses.method_names_from_class = _handler_methods  # type: ignore[attr-defined,assignment]
    _remember_possible_keys()
    _write_item_answers_directly()
    _copy_only_what_transactions_touch()


def _remembered(find_backend: Any) -> Any:
    backends: dict[str | None, Any] = {}

    @functools.wraps(find_backend)
    def get_backend_for_host(self: DomainDispatcherApplication, host: str | None) -> Any:
        if host not in backends:
            backends[host] = find_backend(self, host)
        return backends[host]

    return get_backend_for_host


@functools.cache
def _service_client(region: str, service: str) -> Any:
    # As moto's own boto_client_for in server mode (its credentials argument is unused there), with a larger pool.
    session: Any = boto3.session.Session()  # the service name is any string here, not one of the stubs' literals
    return session.client(
        service_name=service,
        region_name=region,
        endpoint_url=f"http://localhost:{moto_server_port()}",
        aws_access_key_id="ak",
        aws_secret_access_key="sk",  # noqa: S106 - moto's fake credentials, as its own function passes
        config=Config(
            parameter_validation=False,
            retries={"max_attempts": 0, "total_max_attempts": 1},
            connect_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
            read_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
            max_pool_connections=_POOL_CONNECTIONS,
        ),
    )


def shared_boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
    """moto's `boto_client_for`, one client per (region, service) for the life of the process."""
    return _service_client(region, service)


def _reuse_step_functions_clients() -> None:
    # Each state module imported the function by name: replace it where it was imported too.
    original = boto_client.boto_client_for
    boto_client.boto_client_for = shared_boto_client_for
    for module in list(sys.modules.values()):
        if getattr(module, "boto_client_for", None) is original:
            module.boto_client_for = shared_boto_client_for  # type: ignore[attr-defined]


# A few definitions per stack (the state machine, its updates) and a few dozen intrinsic expressions in them.
_SYNTAX_TREES = 256


@functools.lru_cache(maxsize=_SYNTAX_TREES)
def _state_machine_tree(definition: str) -> Any:
    return _parse_state_machine(definition)[1]  # a syntax error raises, and is not remembered


@functools.lru_cache(maxsize=_SYNTAX_TREES)
def _intrinsic_tree(source: str) -> Any:
    parser: Any = ASLIntrinsicParser(CommonTokenStream(ASLIntrinsicLexer(InputStream(source))))
    return parser.func_decl()


def _state_machine_program(definition: str) -> tuple[Any, Any]:
    tree = _state_machine_tree(definition)
    return asl_preprocessor.Preprocessor().visit(tree), tree


def _intrinsic_function(source: str) -> tuple[Any, Any]:
    tree = _intrinsic_tree(source)
    return intrinsic_preprocessor.Preprocessor().visit(tree), tree


_parse_state_machine = AmazonStateLanguageParser.parse


def _parse_each_definition_once() -> None:
    # Both parsers are called through their classes (`X.parse(...)`), so replacing the static methods is enough.
    AmazonStateLanguageParser.parse = staticmethod(_state_machine_program)  # type: ignore[method-assign]
    IntrinsicParser.parse = staticmethod(_intrinsic_function)  # type: ignore[method-assign,assignment]


@functools.cache
def _handler_methods(handler_class: object) -> frozenset[str]:
    # A set: its one caller asks `action in method_names`.
    return frozenset(method_names_from_class(handler_class))


# The paths of a few definitions: a few dozen strings.
_JSON_PATHS = 1024


def _compile_each_json_path_once() -> None:
    # Each module imported its `parse` by name (json_path: jsonpath_ng.ext's, result_path: jsonpath_ng's own).
    json_path.parse = functools.lru_cache(maxsize=_JSON_PATHS)(json_path.parse)  # type: ignore[attr-defined]
    result_path.parse = functools.lru_cache(maxsize=_JSON_PATHS)(result_path.parse)  # type: ignore[attr-defined]


def _remember_possible_keys() -> None:
    find_possible_keys = XFormedAttributePicker.get_possible_keys
    known: dict[tuple[str, object, type], tuple[str, ...]] = {}

    @functools.wraps(find_possible_keys)
    def get_possible_keys(self: XFormedAttributePicker, context: AttributePickerContext) -> Iterator[str]:
        obj = context.obj
        # Serialization aliases an object declares itself (its Meta), or other alias providers, are not remembered.
        if hasattr(obj, "Meta") or self.alias_providers is not DEFAULT_ALIAS_PROVIDERS:
            return iter(find_possible_keys(self, context))
        member = (context.key, context.shape, type(obj))
        if member not in known:
            known[member] = tuple(find_possible_keys(self, context))
        return iter(known[member])

    XFormedAttributePicker.get_possible_keys = get_possible_keys  # type: ignore[method-assign,assignment]
    serialize.get_value = _get_value  # type: ignore[attr-defined]


def _get_value(obj: Any, key: int | str, default: Any = MISSING) -> Any:
    # moto's get_value, minus the exception for a key a plain dict does not hold (a dotted key is a path there).
    if type(obj) is dict and type(key) is str and "." not in key:
        return obj.get(key, default)
    return get_value(obj, key, default)


# Answers made of items, counts, keys and consumed capacity only: nothing a shape would rename or reformat.
_ITEM_OPERATIONS = frozenset(
    {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
)
_AMZ_JSON = "application/x-amz-json-1.0"


def _blob(value: object) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not an attribute value")


def _write_item_answers_directly() -> None:
    serialize_by_shape = DynamoResult.execute_result

    @functools.wraps(serialize_by_shape)
    def execute_result(self: DynamoResult, context: Any) -> Any:
        result = self.result
        if context.operation_model.name not in _ITEM_OPERATIONS or type(result) is not dict:
            return serialize_by_shape(self, context)
        # Only the operation's own members (DeleteItem's answer also carries a legacy ConsumedCapacityUnits).
        members = context.operation_model.output_shape.members
        try:
            body = json.dumps({key: value for key, value in result.items() if key in members}, default=_blob)
        except TypeError:
            return serialize_by_shape(self, context)
        return 200, {"Content-Type": _AMZ_JSON}, body

    DynamoResult.execute_result = execute_result  # type: ignore[method-assign,assignment]


# Per thread: the keys the TransactWriteItems running on this thread names, by table (None outside one).
_transaction = threading.local()


class _TransactionAwareCopy:
    """Stands in for the `copy` module in moto's DynamoDB backend: a table copied for a transaction's rollback
    is copied as far as the transaction can change it (its item map, and the items it names); all else as before."""

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        touched: dict[str, list[dict[str, Any]]] | None = getattr(_transaction, "keys", None)
        if touched is not None and isinstance(value, Table) and value.name in touched and value.stream_shard is None:
            return _rollback_copy(value, touched[value.name])
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _rollback_copy(table: Table, keys: list[dict[str, Any]]) -> Table:
    """A table that, put back in place of `table`, undoes any writes to `keys` (and nothing else can differ)."""
    snapshot = copy.copy(table)
    live: Any = table.items  # hash key → item, or hash key → range key → item
    items: Any = defaultdict(dict)
    items.update({hash_key: dict(by_range) for hash_key, by_range in live.items()} if table.has_range_key else live)
    for key in keys:
        range_attr = table.range_key_attr
        if table.hash_key_attr not in key or (range_attr is not None and range_attr not in key):
            continue  # moto rejects the operation itself
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[range_attr]) if range_attr is not None else None
        current = table.get_item(hash_key, range_key)
        if current is None:
            continue
        # Updates change items in place: the copy must not share the ones this transaction names.
        if range_key is None:
            items[hash_key] = copy.deepcopy(current)
        else:
            items[hash_key][range_key] = copy.deepcopy(current)
    snapshot.items = items
    return snapshot


def _named_keys(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    keys: dict[str, list[dict[str, Any]]] = {}
    for entry in transact_items:
        for kind, operation in entry.items():
            name = operation.get("TableName") if isinstance(operation, dict) else None
            if name not in backend.tables:
                continue
            key = operation.get("Item" if kind == "Put" else "Key") or {}
            keys.setdefault(name, []).append(key)
    return keys


def _copy_only_what_transactions_touch() -> None:
    transact_write_items = DynamoDBBackend.transact_write_items

    @functools.wraps(transact_write_items)
    def copying_only_named_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        _transaction.keys = _named_keys(self, transact_items)
        try:
            transact_write_items(self, transact_items)
        finally:
            _transaction.keys = None

    DynamoDBBackend.transact_write_items = copying_only_named_items  # type: ignore[method-assign]
    dynamodb_models.copy = _TransactionAwareCopy()  # type: ignore[attr-defined,assignment]
