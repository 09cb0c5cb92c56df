"""A compiled Bao module: its ABI and code (`vm.module.abi`) and its one deterministic encoding
(`vm.module.codec`).

Offers the ABI's frozen dataclasses (``Module``, ``Function``, ``Entry``, ``Param``, ``Constant``,
``EventDef``, ``StateVar``, ``Lifecycle``, ``Transition``, ``FieldDefault``), the state key layout
(``state_key``, ``map_prefix``, ``map_entry_key``), the module's identity for local tools
(``module_id``) and the two doors of the encoding: ``encode_module(m)`` and ``decode_module(b)``,
with ``encode_module(decode_module(b)) == b`` for every ``b`` the decoder accepts (it raises only
``vm.errors.VerifyError``).
"""

from vm.module.abi import (
    FORMAT_VERSION, MAGIC, MAX_MODULE_BYTES, Constant, Entry, EventDef, FieldDefault, Function, Lifecycle,
    Module, Param, StateVar, Transition, map_entry_key, map_prefix, module_id, state_key,
)
from vm.module.codec import decode_module, encode_module

__all__ = [
    "FORMAT_VERSION", "MAGIC", "MAX_MODULE_BYTES", "Constant", "Entry", "EventDef", "FieldDefault", "Function",
    "Lifecycle", "Module", "Param", "StateVar", "Transition", "decode_module", "encode_module", "map_entry_key",
    "map_prefix", "module_id", "state_key",
]
