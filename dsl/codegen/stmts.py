"""Code for statements: assignments down access paths, control flow, loops, state updates."""

from __future__ import annotations

from typing import Callable

from dsl.bytecode_limits import LimitReached, max_code_bytes, too_much_code
from dsl.codegen.assembler import CompilerDefect, Label
from dsl.codegen.exprs import ExprCode, arith_opcode
from dsl.fmt_expr import expr as source_of  # `requirement failed: <cond>` quotes it as `fmt` writes it
from dsl.semantics.analysis import FieldRef, LocalRef, MethodRef
from dsl.syntax import ast
from vm.types import INT, TEXT, ListType, MapType, RecordType, Type

_ADDITIVE_OPS = {"+=": ("SADD", "MADD", "+"), "-=": ("SSUB", "MSUB", "-")}
FAIL_KIND, REQUIRE_KIND = 0, 1


class BodyCode(ExprCode):
    """Emits the statements of one function body."""

    def block(self, stmts: tuple[ast.Stmt, ...]) -> None:
        for s in stmts:
            if not self.asm.reachable:
                return  # after return/fail: the checker warned; nothing more to emit
            self.stmt(s)

    def stmt(self, s: ast.Stmt) -> None:
        start = len(self.asm.code)
        try:
            self.stmt_code(s)
            if len(self.asm.code) > max_code_bytes():
                raise too_much_code(self.function_name)
        except LimitReached as exc:
            raise exc.at(s.span)
        self.spans.append((start, len(self.asm.code), s.span))

    def stmt_code(self, s: ast.Stmt) -> None:
        match s:
            case ast.Let(name=ident, value=value):
                self.expr(value)
                self.emit("STORE", self.local_slot(ident))
            case ast.Assign():
                self.assign(s)
            case ast.If():
                self.if_(s)
            case ast.For():
                self.for_(s)
            case ast.Require(cond=cond, message=message):
                ok = Label()
                self.branch(cond, ok, True)
                if message is None:
                    self.const(TEXT, f"requirement failed: {source_of(cond)}")
                else:
                    self.expr(message)
                self.emit("FAIL", REQUIRE_KIND)
                self.asm.place(ok)
            case ast.Fail(message=message):
                self.expr(message)
                self.emit("FAIL", FAIL_KIND)
            case ast.Emit(event=ident, args=args):
                index, info = self.unit.events[ident.name]
                self.push_args(args, tuple(p.name for p in info.params))
                self.emit("EMIT", index)
            case ast.Return(value=value):
                if value is None:
                    self.emit("RET_VOID")
                else:
                    self.expr(value)
                    self.emit("RET")
            case ast.Delete(target=target):
                self.delete(target)
            case ast.Pass():
                pass
            case ast.ExprStmt(expr=e):
                self.expr_stmt(e)
            case _:
                raise CompilerDefect(f"unknown statement {type(s).__name__}")

    def local_slot(self, ident: ast.Ident) -> int:
        ref = self.ref(ident)
        if not isinstance(ref, LocalRef):
            raise CompilerDefect(f"local {ident.name} has no slot")
        return ref.slot

    # -- assignment --------------------------------------------------------------------------------
    def assign(self, s: ast.Assign) -> None:
        target = s.target
        if s.op == "=":
            var = self.state_map(target.obj) if isinstance(target, ast.Index) else None
            if var is not None and isinstance(target, ast.Index):
                self.expr(target.index)
                self.expr(s.value)
                self.emit("MSTORE", var.index)
                return
            self.store_path(target, lambda current: self.expr(s.value))
            return
        scalar_op, entry_op, op = _ADDITIVE_OPS[s.op]
        var = self.state_var(target)
        if var is not None:  # x += v on a state variable: a commutative update
            self.expr(s.value)
            self.emit(scalar_op, var.index)
            return
        if isinstance(target, ast.Index):
            var = self.state_map(target.obj)
            if var is not None:
                self.expr(target.index)
                self.expr(s.value)
                self.emit(entry_op, var.index)
                return
        t = self.type_of(target)

        def updated(current: Callable[[], None]) -> None:
            current()
            self.expr(s.value)
            opcode, swap = arith_opcode(op, t, self.type_of(s.value))
            if swap:
                self.emit("SWAP")
            self.emit(opcode)

        self.store_path(target, updated)

    def store_path(self, target: ast.Expr, new_value: Callable[[Callable[[], None]], None]) -> None:
        """Store into a Name / `.field` / `[key]` chain. ``new_value(current)`` emits the value to
        store; calling ``current()`` in it pushes what the target holds now. Containers along the
        path are rebuilt bottom-up (values are immutable) and written back at the root: a local,
        a scalar state variable, or one entry of a Map state variable."""
        steps: list[ast.Attribute | ast.Index] = []
        root = target
        while isinstance(root, (ast.Attribute, ast.Index)):
            steps.append(root)
            root = root.obj
        steps.reverse()
        if not isinstance(root, ast.Name):
            raise CompilerDefect("assignment to something that is not a name")
        ref = self.ref(root)
        var = self.state_var(root)
        if self.short_path(root, var, steps, new_value):
            return
        entry_key: int | None = None
        entry_map = 0  # the Map state variable whose entry entry_key names, when there is one
        if var is not None and isinstance(var.type, MapType):
            if not steps or not isinstance(steps[0], ast.Index):
                if steps:
                    raise CompilerDefect("a Map state variable reached by a field")
                # the whole map is replaced
            else:
                first = steps.pop(0)
                if not isinstance(first, ast.Index):
                    raise CompilerDefect("a Map state variable's entry without its key")
                entry_key, entry_map = self.temp(var.type.key), var.index
                self.expr(first.index)
                self.emit("STORE", entry_key)

        def load_root() -> None:
            if entry_key is not None:
                self.emit("LOAD", entry_key)
                self.emit("MLOAD", entry_map)
            elif var is not None:
                self.emit("SLOAD", var.index)
            elif isinstance(ref, LocalRef):
                self.emit("LOAD", ref.slot)
            else:
                raise CompilerDefect(f"cannot assign to {root.id}")

        def store_root() -> None:
            if entry_key is not None:
                # MSTORE takes the key under the value
                value = self.temp(self.root_type(var, True))
                self.emit("STORE", value)
                self.emit("LOAD", entry_key)
                self.emit("LOAD", value)
                self.emit("MSTORE", entry_map)
            elif var is not None:
                self.emit("SSTORE", var.index)
            elif isinstance(ref, LocalRef):
                self.emit("STORE", ref.slot)
            else:
                raise CompilerDefect(f"cannot assign to {root.id}")

        if not steps:
            new_value(load_root)
            store_root()
            return
        # Evaluate keys once, then hold each container on the way down in a temp.
        keys: list[int | None] = []
        for st in steps:
            if isinstance(st, ast.Index):
                k = self.temp(self.type_of(st.index))
                self.expr(st.index)
                self.emit("STORE", k)
                keys.append(k)
            else:
                keys.append(None)
        holders: list[int] = []
        container_t = self.root_type(var, entry_key is not None) if var is not None else self.type_of(root)
        load_root()
        for i, st in enumerate(steps):
            h = self.temp(container_t)
            holders.append(h)
            self.emit("STORE", h)
            if i == len(steps) - 1:
                break
            self.emit("LOAD", h)
            container_t = self.get_step(st, container_t, keys[i])
        last = steps[-1]
        last_t = container_t

        def current() -> None:
            self.emit("LOAD", holders[-1])
            self.get_step(last, last_t, keys[-1])

        new_value(current)
        # Put the new value into each container, innermost first.
        types = self.path_types(var, entry_key is not None, root, steps)
        for i in range(len(steps) - 1, -1, -1):
            value = self.temp(types[i + 1])
            self.emit("STORE", value)
            self.emit("LOAD", holders[i])
            st, step_key = steps[i], keys[i]
            t = types[i]
            if isinstance(st, ast.Attribute):
                self.emit("LOAD", value)
                self.emit("SET_FIELD", self.tix(t), self.field_index(st))
            elif isinstance(t, MapType):
                self.emit("LOAD", step_key)
                self.emit("LOAD", value)
                self.emit("MAP_SET", self.tix(t))
            else:
                self.emit("LOAD", step_key)
                self.emit("LOAD", value)
                self.emit("LIST_SET", self.tix(t))
        store_root()

    def short_path(self, root: ast.Name, var, steps: list, new_value) -> bool:
        """The common paths, kept on the stack without temporaries: `x`, `m[k]` (a state map
        entry) and one `.field` below either. False for anything longer."""
        entry = var is not None and isinstance(var.type, MapType) and bool(steps) and isinstance(steps[0], ast.Index)
        below = steps[1:] if entry else steps
        if len(below) > 1 or (below and not isinstance(below[0], ast.Attribute)):
            return False
        ref = self.ref(root)
        slot = ref.slot if isinstance(ref, LocalRef) else None
        if var is None and slot is None:
            raise CompilerDefect(f"cannot assign to {root.id}")
        load: Callable[[], object]
        if entry:
            self.expr(steps[0].index)  # stays under the value for MSTORE
            load = lambda: (self.emit("DUP"), self.emit("MLOAD", var.index))  # noqa: E731
        elif var is not None:
            load = lambda: self.emit("SLOAD", var.index)  # noqa: E731
        else:
            load = lambda: self.emit("LOAD", slot)  # noqa: E731
        if below:
            field = below[0]
            t = self.type_of(field.obj)
            load()
            new_value(lambda: (self.emit("DUP"), self.emit("FIELD", self.tix(t), self.field_index(field))))
            self.emit("SET_FIELD", self.tix(t), self.field_index(field))
        else:
            new_value(load)  # every caller asks for the current value first, if at all
        if entry:
            self.emit("MSTORE", var.index)
        elif var is not None:
            self.emit("SSTORE", var.index)
        else:
            self.emit("STORE", slot)
        return True

    def root_type(self, var, entry: bool) -> Type:
        return var.type.value if entry else var.type

    def path_types(self, var, entry: bool, root: ast.Name, steps) -> list[Type]:
        """The type at each point of the path: the root's, then after each step."""
        t = self.root_type(var, entry) if var is not None else self.type_of(root)
        out = [t]
        for st in steps:
            t = self.step_type(st, t)
            out.append(t)
        return out

    def step_type(self, st: ast.Attribute | ast.Index, t: Type) -> Type:
        if isinstance(st, ast.Attribute):
            if not isinstance(t, RecordType):
                raise CompilerDefect(f"field .{st.name} of {t}, which is no record")
            return self.unit.types.records[t.name][self.field_index(st)][1]
        if isinstance(t, MapType):
            return t.value
        if isinstance(t, ListType):
            return t.elem
        raise CompilerDefect(f"cannot index {t}")

    def field_index(self, st: ast.Attribute) -> int:
        ref = self.ref(st)
        if not isinstance(ref, FieldRef):
            raise CompilerDefect(f"field .{st.name} is not a record field")
        return ref.index

    def get_step(self, st: ast.Attribute | ast.Index, t: Type, key: int | None) -> Type:
        """With a container of type t on the stack, push its part named by st; returns its type."""
        if isinstance(st, ast.Attribute):
            self.emit("FIELD", self.tix(t), self.field_index(st))
        else:
            self.emit("LOAD", key)
            self.emit("MAP_GET" if isinstance(t, MapType) else "LIST_GET", self.tix(t))
        return self.step_type(st, t)

    # -- delete and method statements ---------------------------------------------------------------
    def delete(self, target: ast.Expr) -> None:
        if not isinstance(target, ast.Index):
            raise CompilerDefect("delete of something that is not an entry")
        var = self.state_map(target.obj)
        if var is not None:
            self.expr(target.index)
            self.emit("MDELETE", var.index)
            return
        t = self.type_of(target.obj)

        def without(current: Callable[[], None]) -> None:
            current()
            self.expr(target.index)
            self.emit("MAP_DELETE", self.tix(t))

        self.store_path(target.obj, without)

    def expr_stmt(self, e: ast.Expr) -> None:
        ref = self.ref(e)
        if isinstance(ref, MethodRef) and ref.name == "append" and isinstance(e, ast.Call) \
                and isinstance(e.func, ast.Attribute):
            obj = e.func.obj
            t = self.type_of(obj)
            item = e.args[0].value

            def appended(current: Callable[[], None]) -> None:
                current()
                self.expr(item)
                self.emit("LIST_APPEND", self.tix(t))

            self.store_path(obj, appended)
            return
        self.expr(e)
        if e is not None and id(e) in self.unit.ann.expr_types:
            self.emit("POP")

    # -- control flow -------------------------------------------------------------------------------
    def if_(self, s: ast.If) -> None:
        end = Label()
        for branch in s.branches:
            nxt = Label()
            self.branch(branch.cond, nxt, False)
            self.block(branch.body)
            self.emit("JUMP", end)
            self.asm.place(nxt)
        if s.otherwise is not None:
            self.block(s.otherwise)
        self.asm.place(end)

    def for_(self, s: ast.For) -> None:
        it = s.iter
        slots = [self.local_slot(v) for v in s.vars]
        counter, limit = self.temp(INT), self.temp(INT)
        head, done = Label(), Label()
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range" \
                and not isinstance(self.ref(it.func), LocalRef) and len(it.args) == 2:
            self.expr(it.args[0].value)
            self.emit("STORE", counter)
            self.expr(it.args[1].value)
            self.emit("STORE", limit)
            def load_item() -> None:
                self.emit("LOAD", counter)
                self.emit("STORE", slots[0])
        else:
            t = self.type_of(it)
            coll = self.temp(t)
            self.expr(it)
            self.emit("STORE", coll)
            if isinstance(t, MapType):
                keys = self.temp(ListType(t.key))
                self.emit("LOAD", coll)
                self.emit("MAP_KEYS", self.tix(t))
                self.emit("STORE", keys)
                self.emit("LOAD", keys)
                self.emit("LIST_LEN", self.tix(ListType(t.key)))

                def load_item() -> None:
                    self.emit("LOAD", keys)
                    self.emit("LOAD", counter)
                    self.emit("LIST_GET", self.tix(ListType(t.key)))
                    self.emit("STORE", slots[0])
                    if len(slots) > 1:
                        self.emit("LOAD", coll)
                        self.emit("LOAD", slots[0])
                        self.emit("MAP_GET", self.tix(t))
                        self.emit("STORE", slots[1])
            elif isinstance(t, ListType):
                self.emit("LOAD", coll)
                self.emit("LIST_LEN", self.tix(t))

                def load_item() -> None:
                    self.emit("LOAD", coll)
                    self.emit("LOAD", counter)
                    self.emit("LIST_GET", self.tix(t))
                    self.emit("STORE", slots[0])
            else:
                raise CompilerDefect(f"cannot loop over {t}")
            self.emit("STORE", limit)
            self.const(INT, 0)
            self.emit("STORE", counter)
        self.asm.place(head)
        self.emit("LOAD", counter)
        self.emit("LOAD", limit)
        self.emit("LT", self.tix(INT))
        self.emit("JUMP_IF_FALSE", done)
        load_item()
        self.block(s.body)
        self.emit("LOAD", counter)
        self.const(INT, 1)
        self.emit("ADD_INT")
        self.emit("STORE", counter)
        self.emit("JUMP", head)
        self.asm.place(done)

