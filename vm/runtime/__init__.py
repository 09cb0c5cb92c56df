"""Running a verified module: the machine, the host it reads state through, and a call's state.

- `vm.runtime.machine`     ``Machine(verified)`` runs entries (``call``), metered and sandboxed,
                           and answers ``CallResult``s; ``EntryInfo`` describes an entry
- `vm.runtime.host`        the ``Host`` protocol a call reads state through, its ``CallContext``,
                           the ``Event``s it emits, and ``MemoryHost`` for tools and tests
- `vm.runtime.state`       ``CallState``: a call's reads through the host and its overlay of
                           writes; ``Delta`` for commutative updates
- `vm.runtime.interpreter` a reference interpreter (one Python step per instruction) and an
                           assembler for hand-written modules, for tests that check the machine
"""

from vm.runtime.host import STATE_FILE, CallContext, Event, Host, MemoryHost
from vm.runtime.machine import CallResult, EntryInfo, Machine
from vm.runtime.state import CallState, Delta, add_values

__all__ = ["STATE_FILE", "CallContext", "CallResult", "CallState", "Delta", "EntryInfo", "Event", "Host",
           "Machine", "MemoryHost", "add_values"]
