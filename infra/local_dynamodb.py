"""The local DynamoDB endpoint: moto's server, applying one request at a time.

moto checks a transaction's conditions and applies its writes without a lock, and rolls a
failed transaction back by restoring whole tables from a copy taken when it began. Two
concurrent transactions can therefore both pass a version condition, and a rollback can undo
another request's committed writes. DynamoDB itself isolates transactions (serializably), so
the local endpoint serialises requests: connections are still accepted concurrently, but each
request runs alone. Arguments are moto_server's (`-H host -p port`).
"""

import threading

from moto import server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_one_at_a_time = threading.Lock()
_dispatch = DomainDispatcherApplication.__call__


def _serialised(self, environ, start_response):
    with _one_at_a_time:
        # moto builds whole bodies; materialise inside the lock all the same.
        return list(_dispatch(self, environ, start_response))


DomainDispatcherApplication.__call__ = _serialised

if __name__ == "__main__":
    server.main()
