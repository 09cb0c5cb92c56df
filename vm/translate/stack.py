"""One basic block's operand stack as Python names while the translator writes its code."""

from __future__ import annotations

from typing import overload

from vm.translate.flow import Lines


class StackWriter:
    """One block's operand stack as Python names, while its code is written.

    An entry is a name: a slot `s<i>`, a Bao local `l<i>`, a pool entry `k<i>` or a temporary
    `t<i>`. Loads of locals and constants push the name itself and cost no Python statement;
    every computed value is assigned to the slot it occupies, or straight to the local that the
    next instruction stores it in (``hint``). Before a name is reassigned, stack entries that
    still mean its old value move to a temporary, and at the block's end every entry moves to
    its canonical slot, which is where the next block expects it.

    Pure expressions that cannot fail (comparisons, `not`, `x mod 3`) may stay *pending* in the
    stack, unevaluated, so that `if i mod 3 == 0:` needs no slot at all. Writing any statement
    evaluates every pending entry first, so none outlives a statement that could change the
    names it reads."""

    def __init__(self, height: int, lines: Lines, indent: int, temps: list[int]):
        self.stack = [f"s{i}" for i in range(height)]
        self.lines = lines
        self.indent = indent
        self.temps = temps  # one counter per function, so temporaries never clash
        self.pending: dict[int, str] = {}  # stack position -> expression not yet evaluated
        self.hint: str | None = None  # the local the next computed value will be stored in

    def _line(self, text: str) -> None:
        self.lines.add(self.indent, text)

    def _settle(self) -> None:
        # Into fresh temporaries: an emitter may hold popped operands that name any slot.
        for i in sorted(self.pending):
            temp = f"t{self.temps[0]}"
            self.temps[0] += 1
            self._line(f"{temp} = {self.pending[i]}")
            self.stack[i] = temp
        self.pending.clear()

    def _free(self, name: str) -> None:
        if name in self.stack:
            temp = f"t{self.temps[0]}"
            self.temps[0] += 1
            self._line(f"{temp} = {name}")
            self.stack = [temp if e == name else e for e in self.stack]

    def emit(self, text: str) -> None:
        self._settle()
        self._line(text)

    def pop(self) -> str:
        i = len(self.stack) - 1
        name = self.stack.pop()
        expr = self.pending.pop(i, None)
        return name if expr is None else f"({expr})"

    def pops(self, n: int) -> list[str]:
        taken = [self.pop() for _ in range(n)]
        taken.reverse()
        return taken

    def alias(self, name: str) -> None:
        self.stack.append(name)

    def named(self, expr: str) -> str:
        """``expr`` as a name, evaluated once, for code that reads an operand twice."""
        if is_name(expr):
            return expr
        temp = f"t{self.temps[0]}"
        self.temps[0] += 1
        self.emit(f"{temp} = {expr}")
        return temp

    def dup(self) -> None:
        if len(self.stack) - 1 in self.pending:
            self._settle()  # evaluate once, then share the result
        self.stack.append(self.stack[-1])

    def swap(self) -> None:
        i, j = len(self.stack) - 1, len(self.stack) - 2
        self.stack[i], self.stack[j] = self.stack[j], self.stack[i]
        a, b = self.pending.pop(i, None), self.pending.pop(j, None)
        if a is not None:
            self.pending[j] = a
        if b is not None:
            self.pending[i] = b

    def top_slot(self) -> str:
        """The name the next push will occupy (a slot, or the hinted local), freed of aliases so
        it may be assigned now."""
        self._settle()
        name, self.hint = (self.hint or f"s{len(self.stack)}"), None
        self._free(name)
        return name

    def push(self, expr: str) -> str:
        name = self.top_slot()
        self._line(f"{name} = {expr}")
        self.stack.append(name)
        return name

    def push_pending(self, expr: str) -> None:
        self.hint = None
        self.pending[len(self.stack)] = expr
        self.stack.append("")

    def pushed(self, name: str) -> None:
        """Record that code already assigned the value to ``name`` (from `top_slot`)."""
        self.stack.append(name)

    def free(self, name: str) -> None:
        self._settle()
        self._free(name)

    def assign(self, name: str, expr: str) -> None:
        self.free(name)
        if expr != name:
            self._line(f"{name} = {expr}")

    @overload
    def flush(self) -> None: ...

    @overload
    def flush(self, keep: str) -> str: ...

    def flush(self, keep: str | None = None) -> str | None:
        """Move every entry to its canonical slot; returns ``keep`` (an expression popped just
        before), moved to a temporary if a move could change it."""
        if self.pending and keep is not None:
            temp = f"t{self.temps[0]}"
            self.temps[0] += 1
            self._line(f"{temp} = {keep}")
            keep = temp
        self._settle()
        moves = [(f"s{i}", e) for i, e in enumerate(self.stack) if e != f"s{i}"]
        if moves:
            if keep is not None and not is_name(keep) or any(t == keep for t, _ in moves):
                temp = f"t{self.temps[0]}"
                self.temps[0] += 1
                self._line(f"{temp} = {keep}")
                keep = temp
            self._line(", ".join(t for t, _ in moves) + " = " + ", ".join(e for _, e in moves))
            self.stack = [f"s{i}" for i in range(len(self.stack))]
        return keep


def is_name(text: str) -> bool:
    return text.isidentifier()
