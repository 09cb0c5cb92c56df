"""The Bao VM: the bytecode format, its verifier, and the gas-metered machine that runs it.

- `vm.opcodes`    the one opcode table: encoding, stack rules, gas and meaning of every opcode
- `vm.types`      Bao's types as data, the type groups of the language, the runtime representation
- `vm.gas`        the gas schedule for state and events, and a call's resource limits
- `vm.errors`     the layer's exceptions (`VMError` and its kinds; `Abort` and `AbortKind`)
- `vm.values`     the value layer: arithmetic, ordering, text, JSON, state encoding and keys
- `vm.module`     a compiled module: its ABI and code, and its one deterministic encoding
- `vm.verify`     the verifier: nothing runs until it has accepted the module
- `vm.translate`  ahead-of-time translation of verified functions to Python
- `vm.runtime`    the machine, the host it reads state through, a call's state, a reference interpreter
- `vm.disasm`     a readable listing of a module
- `vm.files`      replacing a file whole (`write_atomically`), for every layer that keeps files

Imports flow one way inside vm: types, opcodes, gas and errors at the bottom, then values, module,
verify, translate, runtime; nothing imports back (the opcode table names `vm.module.abi.Module`
for the type checker only).
"""
