"""Code for calls: built-in functions, `m.get`, record construction, and calls of fns and views
(a view is called with CALL like a fn: its `by` is the machine's check of a transaction's entry,
which an internal call does not pass through). A mixin of `dsl.codegen.exprs.ExprCode`, which
it sees as a `dsl.codegen.context.CodeContext`."""

from __future__ import annotations

from dsl.codegen.assembler import CompilerDefect
from dsl.codegen.context import CodeContext
from dsl.semantics.analysis import BuiltinFuncRef, FunctionRef, MethodRef, RecordCtorRef
from dsl.syntax import ast
from vm.types import MapType, RecordType, TEXT

_DATE_FNS = {"add_months": "ADD_MONTHS", "days_between": "DAYS_BETWEEN", "year": "YEAR", "month": "MONTH",
             "day": "DAY"}


class CallCode(CodeContext):
    """Emits calls (see the module docstring for what the host class provides)."""

    def call(self, e: ast.Call) -> None:
        ref = self.ref(e)
        match ref:
            case BuiltinFuncRef():
                self.builtin(e, ref)
            case MethodRef(name="get") if isinstance(e.func, ast.Attribute):
                obj = e.func.obj
                var = self.state_map(obj)
                if var is not None:
                    self.expr(e.args[0].value)
                    self.expr(e.args[1].value)
                    self.emit("MGET", var.index)
                else:
                    self.expr(obj)
                    self.expr(e.args[0].value)
                    self.expr(e.args[1].value)
                    self.emit("MAP_GET_OR", self.tix(self.type_of(obj)))
            case RecordCtorRef(record=record, args=given):
                defaults = self.unit.record_defaults[record]
                for i, arg_ix in enumerate(given):
                    if arg_ix is None:
                        default = defaults[i]
                        if default is None:
                            raise CompilerDefect(f"{record} field {i} has neither a value nor a default")
                        self.expr(default)
                    else:
                        self.expr(e.args[arg_ix].value)
                self.emit("MAKE_RECORD", self.tix(RecordType(record)))
            case FunctionRef():
                self.call_function(e, ref)
            case _:
                raise CompilerDefect(f"call refers to {ref!r}")

    def function_key(self, ref: FunctionRef) -> str:
        owner = ref.module or self.module
        return f"{owner}.{ref.name}" if owner else ref.name

    def call_function(self, e: ast.Call, ref: FunctionRef) -> None:
        index, info = self.unit.functions[self.function_key(ref)]
        self.push_args(e.args, tuple(p.name for p in info.params))
        self.emit("CALL", index)

    def push_args(self, args: tuple[ast.Arg, ...], names: tuple[str, ...]) -> None:
        """Push call arguments in parameter order (positional first, then named)."""
        by_param: list[ast.Expr | None] = [None] * len(names)
        for i, a in enumerate(args):
            by_param[names.index(a.name) if a.name is not None else i] = a.value
        for value in by_param:
            if value is None:
                raise CompilerDefect("a parameter without an argument")
            self.expr(value)

    def builtin(self, e: ast.Call, ref: BuiltinFuncRef) -> None:
        args = [a.value for a in e.args]
        name, _, _ = ref.variant.partition(":")
        result = self.raw_type(e)
        if name == "len":
            arg = args[0]
            var = self.state_map(arg)
            if var is not None:
                self.emit("MLEN", var.index)
                return
            self.expr(arg)
            t = self.type_of(arg)
            if t == TEXT:
                self.emit("TEXT_LEN")
            else:
                self.emit("MAP_LEN" if isinstance(t, MapType) else "LIST_LEN", self.tix(t))
        elif name in ("min", "max"):
            if ref.variant.count(":") == 2:  # min(xs) of one List
                self.expr(args[0])
                self.emit("LIST_MIN" if name == "min" else "LIST_MAX", self.tix(result))
                return
            self.expr(args[0])
            for a in args[1:]:
                self.expr(a)
                self.emit(name.upper(), self.tix(result))
        elif name == "abs":
            self.expr(args[0])
            self.emit("ABS", self.tix(result))
        elif name == "sum":
            for a in args:
                self.expr(a)
            self.emit("SUM" if len(args) == 1 else "SUM_START", self.tix(result))
        elif name in ("round", "round_even"):
            self.expr(args[0])
            self.expr(args[1])
            self.emit("ROUND" if name == "round" else "ROUND_EVEN", self.tix(result))
        elif name in ("floor", "ceil"):
            self.expr(args[0])
            self.emit("FLOOR_DEC" if name == "floor" else "CEIL_DEC")
        elif name == "text":
            self.expr(args[0])
            t = self.type_of(args[0])
            if t != TEXT:
                self.emit("TO_TEXT", self.tix(t))
        elif name in ("sm3", "sha256"):
            self.expr(args[0])
            self.emit("HASH_SM3" if name == "sm3" else "HASH_SHA256", self.tix(self.type_of(args[0])))
        elif name in _DATE_FNS:
            for a in args:
                self.expr(a)
            self.emit(_DATE_FNS[name])
        else:
            raise CompilerDefect(f"unknown built-in {ref.variant}")
