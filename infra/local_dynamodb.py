"""The local DynamoDB endpoint: moto's server, applying one request at a time, with the
limits of DynamoDB that moto does not enforce.

moto checks a transaction's conditions and applies its writes without a lock, and rolls a
failed transaction back by restoring whole tables from a copy taken when it began. Two
concurrent transactions can therefore both pass a version condition, and a rollback can undo
another request's committed writes. DynamoDB itself isolates transactions (serializably), so
the local endpoint serialises requests: connections are still accepted concurrently, but each
request runs alone.

moto also accepts a TransactWriteItems of any size; DynamoDB refuses one whose items add up
to more than 4 MB (the items a Put writes, the keys and values the other actions carry), so
the local endpoint refuses it the same way.

The rollback also broke the tables' streams: the restored copy carried a copy of the stream
shard, so every shard iterator taken before a failed transaction went on reading the old,
dead shard (the emulator's stream poller never saw a later write), the rolled-back writes
stayed in it as records of changes that never happened, and every failed transaction copied
every stream record ever written. The shard is now shared, not copied, and a failed
transaction truncates it back to where it was. moto also keeps every shard iterator it ever
issued (a poller issues ten a second); only the newest are kept, as DynamoDB's expire.
Arguments are moto_server's (`-H host -p port`).
"""

import io
import json
import logging
import threading

from moto import server
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import StreamShard
from moto.dynamodbstreams.models import DynamoDBStreamsBackend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

TRANSACTION_LIMIT = 4 * 1024 * 1024
# DynamoDB's iterators expire after 15 minutes; a poller holds one at a time.
SHARD_ITERATORS_KEPT = 10_000

_one_at_a_time = threading.Lock()
_dispatch = DomainDispatcherApplication.__call__


def attribute_size(value):
    """The bytes DynamoDB counts for one attribute value (its size rules, closely enough)."""
    (kind, inner), = value.items()
    if kind in ("S", "B"):
        return len(inner.encode("utf-8"))
    if kind == "N":
        return len(inner.lstrip("-").replace(".", "")) // 2 + 2
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "BS"):
        return sum(len(v.encode("utf-8")) for v in inner)
    if kind == "NS":
        return sum(len(v) // 2 + 2 for v in inner)
    if kind == "L":
        return 3 + sum(1 + attribute_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + attribute_size(v) for k, v in inner.items())
    return 0


def item_size(item):
    return sum(len(name.encode("utf-8")) + attribute_size(v) for name, v in (item or {}).items())


def transaction_size(body):
    total = 0
    for action in body.get("TransactItems", []):
        for kind, request in action.items():
            total += item_size(request.get("Item") if kind == "Put" else request.get("Key"))
            total += item_size(request.get("ExpressionAttributeValues"))
    return total


def _too_large(start_response):
    body = json.dumps({
        "__type": "com.amazonaws.dynamodb.v20120810#ValidationException",
        "message": "Transaction request cannot be larger than 4 MB",
    }).encode()
    start_response("400 Bad Request", [
        ("Content-Type", "application/x-amz-json-1.0"),
        ("Content-Length", str(len(body))),
    ])
    return [body]


def _serialised(self, environ, start_response):
    if environ.get("HTTP_X_AMZ_TARGET", "").endswith(".TransactWriteItems"):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(raw)
        try:
            size = transaction_size(json.loads(raw or b"{}"))
        except (ValueError, AttributeError, TypeError):
            size = 0
        if size > TRANSACTION_LIMIT:
            return _too_large(start_response)
    with _one_at_a_time:
        # moto builds whole bodies; materialise inside the lock all the same.
        return list(_dispatch(self, environ, start_response))


DomainDispatcherApplication.__call__ = _serialised


def _shared_shard(self, memo):
    """A table's copy shares its stream: the stream outlives a rollback, as in DynamoDB."""
    return self


_transact_write_items = DynamoDBBackend.transact_write_items


def _transact_keeping_streams(self, transact_items):
    """A failed transaction wrote nothing, so its writes leave no stream records either."""
    shards = {}
    for action in transact_items if isinstance(transact_items, list) else []:
        for request in action.values() if isinstance(action, dict) else []:
            name = request.get("TableName") if isinstance(request, dict) else None
            table = self.tables.get(name) if isinstance(name, str) else None
            if table is not None and table.stream_shard is not None:
                shards[name] = (table.stream_shard, len(table.stream_shard.items))
    try:
        return _transact_write_items(self, transact_items)
    except BaseException:
        for name, (shard, length) in shards.items():
            del shard.items[length:]
            restored = self.tables.get(name)
            if restored is not None and restored.stream_shard is shard:
                # The shard's records name the table they come from: the live one.
                shard.table = restored
        raise


class _NewestIterators(dict):
    """moto's map of issued shard iterators, forgetting the oldest beyond a bound."""

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        while len(self) > SHARD_ITERATORS_KEPT:
            del self[next(iter(self))]


_streams_backend_init = DynamoDBStreamsBackend.__init__


def _streams_backend_with_bound(self, *args, **kwargs):
    _streams_backend_init(self, *args, **kwargs)
    self.shard_iterators = _NewestIterators()


StreamShard.__deepcopy__ = _shared_shard
DynamoDBBackend.transact_write_items = _transact_keeping_streams
DynamoDBStreamsBackend.__init__ = _streams_backend_with_bound

if __name__ == "__main__":
    # A line per store call (and colour codes) would drown what matters; warnings still show.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server.main()
