"""A readable listing of a module: its ABI, then each function with its signature, and one line
per instruction (offset, opcode, operands decoded through the module's tables).

    action settle(policy_id: Text, bill: Money, treated_on: Date) -> Money  by hospital
      locals: 0 policy_id: Text, 1 bill: Money, 2 treated_on: Date, 3 p: Policy, ...
         0  LOAD           0  ; policy_id
         3  MHAS           0  ; policies
         6  JUMP_IF_TRUE   25
"""

from __future__ import annotations

from vm.errors import EncodingError
from vm.module.abi import Entry, Function, Module
from vm.opcodes import Instruction, OperandKind, TruncatedCode, decode_instructions
from vm.types import EnumType, RecordType, TupleType, Type, Value
from vm.values import decode_value, to_text


def _value(module: Module, t: Type, v: Value) -> str:
    if isinstance(t, EnumType):
        values = module.types.enums.get(t.name, ())
        return f"{t.name}.{values[v]}" if isinstance(v, int) and 0 <= v < len(values) else f"{t.name}#{v}"
    try:
        shown = to_text(t, v, module.types)
    except Exception:  # a listing of a damaged module still shows what it can
        shown = repr(v)
    if t.__str__() == "Text":
        shown = repr(v)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{shown} : {t}"


def _default(module: Module, t: Type, encoded: bytes) -> str:
    try:
        value = decode_value(t, encoded, module.types)
    except (EncodingError, KeyError):  # a damaged module: show the bytes
        return f"<{encoded.hex()}> : {t}"
    return _value(module, t, value)


def _operand(module: Module, fn: Function, kind: OperandKind, value: int, prev: int | None) -> str:
    try:
        match kind:
            case OperandKind.CONST:
                c = module.constants[value]
                return _value(module, c.type, c.value)
            case OperandKind.LOCAL:
                names = fn.local_names or tuple(p.name for p in fn.params)
                if value < len(names) and names[value]:
                    return names[value]
                return f"local {value}: {fn.local_types[value]}"
            case OperandKind.FUNC:
                return module.functions[value].name
            case OperandKind.TYPE:
                return str(module.type_pool[value])
            case OperandKind.STATE:
                return module.state[value].name
            case OperandKind.EVENT:
                return module.events[value].name
            case OperandKind.FIELD:
                record = module.type_pool[prev] if prev is not None else None
                if isinstance(record, RecordType):
                    return module.types.records[record.name][value][0]
                if isinstance(record, TupleType):
                    return str(value)
                return "?"
    except (IndexError, KeyError, AttributeError, TypeError):
        return "?"
    return ""


def _instruction(module: Module, fn: Function, ins: Instruction) -> str:
    nums = " ".join(str(v) for v in ins.operands)
    notes = []
    prev = None
    for kind, value in zip(ins.op.operands, ins.operands):
        note = _operand(module, fn, kind, value, prev)
        if note:
            notes.append(note)
        prev = value
    line = f"{ins.offset:>6}  {ins.op.name:<14} {nums}"
    if notes:
        line = f"{line:<34} ; {', '.join(notes)}"
    return line.rstrip()


def _signature(fn: Function, entry: Entry | None) -> str:
    params = ", ".join(f"{p.name}: {p.type}" for p in fn.params)
    head = f"{entry.kind if entry else 'fn'} {fn.name}({params})"
    if fn.returns is not None:
        head += f" -> {fn.returns}"
    if entry is not None:
        head += "  by anyone" if entry.anyone else f"  by {', '.join(entry.roles)}"
        if entry.name != fn.name:
            head += f"  (entry {entry.name})"
    return head


def disassemble(module: Module) -> str:
    """The whole module as text."""
    out = [f"{module.kind} {module.name}"]
    if module.doc:
        out.append(f'  """{module.doc}"""')
    if module.parties:
        out.append(f"  parties: {', '.join(module.parties)}")
    for s in module.state:
        out.append(f"  state {s.index}: {s.name}: {s.type}")
    for i, e in enumerate(module.events):
        out.append(f"  event {i}: {e.name}({', '.join(f'{p.name}: {p.type}' for p in e.fields)})")
    for lc in module.lifecycles:
        values = module.types.enums.get(lc.enum, ())

        def name(v: int) -> str:
            return values[v] if 0 <= v < len(values) else f"#{v}"

        start = f" starts {name(lc.start)}" if lc.start is not None else ""
        out.append(f"  lifecycle {lc.record} field {lc.field} ({lc.enum}){start}")
        for t in lc.transitions:
            out.append(f"    {', '.join(name(s) for s in t.sources)} -> {name(t.target)} by {', '.join(t.roles)}")
    for d in module.field_defaults:
        out.append(f"  default {d.record}.{d.field} = {_default(module, d.type, d.encoded)}")
    out.append(f"  {len(module.constants)} constants, {len(module.type_pool)} types, "
               f"{len(module.functions)} functions")
    entries = {e.function: e for e in module.entries}
    for i, fn in enumerate(module.functions):
        out.append("")
        out.append(f"[{i}] {_signature(fn, entries.get(i))}")
        names = fn.local_names or ("",) * len(fn.local_types)
        extra = [f"{n} {names[n] or '(temp)'}: {t}" for n, t in enumerate(fn.local_types) if n >= len(fn.params)]
        if extra:
            out.append(f"  locals: {', '.join(extra)}")
        try:
            instrs = decode_instructions(fn.code)
        except TruncatedCode as exc:
            out.append(f"  <undecodable code: {exc}>")
            continue
        out.extend(_instruction(module, fn, ins) for ins in instrs)
    return "\n".join(out) + "\n"
