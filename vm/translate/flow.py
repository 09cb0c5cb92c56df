"""Control flow of translated code: rebuilding Python `while`/`if` from a function's graph of
basic blocks (`Structure`), with the graph algorithms it needs (reverse postorder, dominators,
natural loops), and the small pieces the translator's writers share (`Lines`, `Terminator`)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class NotStructured(Exception):
    """The control flow graph has a shape `Structure` does not rebuild; use the dispatch loop.
    ``merge``: the join block whose jump could not be written, when that is what failed."""

    merge: int | None = None


class Ending(enum.Enum):
    """How a block ends, in the translator's words."""

    JUMP = "jump"  # to targets[0]
    BRANCH = "branch"  # ``cond`` true: to targets[0]; false: to targets[1]
    EXIT = "exit"  # the block's own code returned or aborted: nothing follows


@dataclass(slots=True)
class Terminator:
    """How a block ends (`Ending`), where it may go next, and on what condition."""

    kind: Ending
    targets: tuple[int, ...] = ()
    cond: str = ""


@dataclass(slots=True)
class Lines:
    """Python source lines at increasing indentation."""

    out: list[str] = field(default_factory=list)

    def add(self, indent: int, text: str) -> None:
        self.out.append("    " * indent + text)


MAX_WRAPS = 16


class Structure:
    """Rebuilds `while`/`if` from a reducible graph (after Ramsey, "Beyond Relooper", 2022).

    Each block is placed under its immediate dominator. A block with two or more forward
    predecessors (a merge) follows the code that reaches it, so arms of an `if` fall through to it;
    a loop header opens `while True:` whose back edges are `continue` and whose single exit is
    `break`, the exit's code following the loop. Each transfer is emitted only where Python can say
    it exactly: the fall-through target, the innermost loop's header or exit, or a block inlined
    under its only predecessor; anything else raises NotStructured.
    """

    def __init__(self, succs: list[tuple[int, ...]], body, small=lambda b: False):
        self.succs = succs
        self.small = small  # small(block): whether the block may be copied to each place it is reached
        self.budget = 2000 + 100 * len(succs)  # lines; past it, copies must have run away
        self.body = body  # body(block, indent, lines) -> Terminator, after writing the block's code
        self.out = Lines()
        self.wrap: set[int] = set()  # merges that jumps reach early: wrapped as one-pass loops
        n = len(succs)
        self.rpo = reverse_postorder(succs)
        self.order = {b: i for i, b in enumerate(self.rpo)}
        preds: list[list[int]] = [[] for _ in range(n)]
        for b in self.rpo:
            for s in succs[b]:
                preds[s].append(b)
        self.idom = dominators(self.rpo, self.order, preds)
        self.back: set[tuple[int, int]] = set()
        forward_preds = [0] * n
        for b in self.rpo:
            for s in succs[b]:
                if self.order[s] <= self.order[b]:
                    if not self._dominates(s, b):
                        raise NotStructured("irreducible loop")
                    self.back.add((b, s))
                else:
                    forward_preds[s] += 1
        self.merge = {b for b in self.rpo if forward_preds[b] >= 2}
        self.kids: dict[int, list[int]] = {b: [] for b in self.rpo}
        for b in self.rpo[1:]:
            self.kids[self.idom[b]].append(b)
        self.loop_exit: dict[int, int | None] = {}
        self.exits: set[int] = set()
        for header in {s for _, s in self.back}:
            nodes = natural_loop(header, [b for b, s in self.back if s == header], preds)
            # A block that ends the call (a failed `require`) reached from one place is written
            # where it is reached, inside the loop: it is no exit the loop's code must follow.
            targets = {s for m in nodes for s in succs[m]
                       if s not in nodes and (succs[s] or len(preds[s]) > 1)}
            if len(targets) > 1:
                raise NotStructured("loop with several exits")
            exit_ = targets.pop() if targets else None
            if exit_ is not None and all(p in nodes for p in preds[exit_]):
                # Only the loop leads there: its code follows the loop, owned by the loop.
                if exit_ in self.exits:
                    raise NotStructured("two loops share one exit")
                self.exits.add(exit_)
            self.loop_exit[header] = exit_

    def _dominates(self, a: int, b: int) -> bool:
        while b != a:
            parent = self.idom[b]
            if parent == b:
                return False
            b = parent
        return True

    def emit(self, indent: int) -> Lines:
        """The function's body; merges that need it are wrapped, found by trying again."""
        while True:
            self.out = Lines()
            try:
                self._tree(self.rpo[0], None, (), indent)
                return self.out
            except NotStructured as exc:
                merge = exc.merge
                if merge is None or merge in self.wrap or len(self.wrap) >= MAX_WRAPS:
                    raise  # each retry rewrites the function: bound the work a module can cause
                self.wrap.add(merge)

    def _tree(self, x: int, follow: int | None, loops: tuple, indent: int) -> None:
        merges = sorted((k for k in self.kids[x] if k in self.merge and k not in self.exits),
                        key=self.order.__getitem__)
        if x in self.loop_exit:
            exit_ = self.loop_exit[x]
            self.out.add(indent, "while True:")
            self._within(x, merges, x, loops + (("loop", x, exit_),), indent + 1)
            if exit_ in self.exits:
                self._tree(exit_, follow, loops, indent)
            elif exit_ is not None:  # a join other code reaches too (a loop ending an `else`)
                self._branch(x, exit_, follow, loops, indent)
        else:
            self._within(x, merges, follow, loops, indent)

    def _within(self, x: int, merges: list[int], follow: int | None, loops: tuple, indent: int) -> None:
        if merges:
            last = merges[-1]
            if last in self.wrap:
                # A `while True: ... break` stands for a block that jumps may leave early.
                self.out.add(indent, "while True:")
                self._within(x, merges[:-1], last, loops + (("block", last, None),), indent + 1)
                self.out.add(indent + 1, "break")
            else:
                self._within(x, merges[:-1], last, loops, indent)
            self._tree(last, follow, loops, indent)
            return
        if len(self.out.out) > self.budget:
            raise NotStructured("too much code: copies grew past the budget")
        term = self.body(x, indent, self.out)
        if term.kind is Ending.JUMP:
            self._branch(x, term.targets[0], follow, loops, indent)
        elif term.kind is Ending.BRANCH:
            yes, no = term.targets
            flat = {follow} | {b for loop in loops for b in loop[1:]}  # targets that are not inlined
            if self._ends_call(no) and no not in flat and not self._ends_call(yes):
                # `require`: the failing arm first, then the rest unindented, so a long run of
                # requires stays flat instead of nesting one `else:` deeper each.
                self.out.add(indent, f"if not {term.cond}:")
                self._arm(x, no, follow, loops, indent + 1)
                self._branch(x, yes, follow, loops, indent)
            elif self._ends_call(yes) and yes not in flat:
                self.out.add(indent, f"if {term.cond}:")
                self._arm(x, yes, follow, loops, indent + 1)
                self._branch(x, no, follow, loops, indent)
            else:
                self.out.add(indent, f"if {term.cond}:")
                self._arm(x, yes, follow, loops, indent + 1)
                self.out.add(indent, "else:")
                self._arm(x, no, follow, loops, indent + 1)

    def _ends_call(self, b: int) -> bool:
        """Whether block b, written inline, returns or aborts (control never falls out of it)."""
        return not self.succs[b] and b not in self.merge

    def _arm(self, src: int, target: int, follow: int | None, loops: tuple, indent: int) -> None:
        mark = len(self.out.out)
        self._branch(src, target, follow, loops, indent)
        if len(self.out.out) == mark:
            self.out.add(indent, "pass")

    def _branch(self, src: int, target: int, follow: int | None, loops: tuple, indent: int) -> None:
        if target == follow:
            return
        kind, head, exit_ = loops[-1] if loops else (None, None, None)
        if kind == "loop" and target == head:
            self.out.add(indent, "continue")
        elif (kind == "loop" and target == exit_) or (kind == "block" and target == head):
            self.out.add(indent, "break")
        elif (target in self.merge and not self.kids[target] and target not in self.loop_exit
              and target not in self.exits and (src, target) not in self.back and self.small(target)):
            # A short join that dominates nothing (the `then` of an `and`/`or` test) is written
            # again where it is reached: a copy is cheaper than any way Python has to get there.
            self._within(target, [], follow, loops, indent)
        elif (src, target) in self.back or target in self.merge or target in self.exits:
            wanted = NotStructured("a jump Python cannot express here")
            if target in self.merge and (src, target) not in self.back:
                wanted.merge = target
            raise wanted
        else:
            self._tree(target, follow, loops, indent)


def reverse_postorder(succs: list[tuple[int, ...]]) -> list[int]:
    seen = {0}
    post: list[int] = []
    stack = [(0, iter(succs[0]))]
    while stack:
        node, it = stack[-1]
        for s in it:
            if s not in seen:
                seen.add(s)
                stack.append((s, iter(succs[s])))
                break
        else:
            stack.pop()
            post.append(node)
    post.reverse()
    return post


def dominators(rpo: list[int], order: dict[int, int], preds: list[list[int]]) -> dict[int, int]:
    # Cooper, Harvey and Kennedy, "A Simple, Fast Dominance Algorithm".
    idom = {rpo[0]: rpo[0]}
    changed = True
    while changed:
        changed = False
        for b in rpo[1:]:
            done = [p for p in preds[b] if p in idom]
            new = done[0]
            for p in done[1:]:
                a, c = p, new
                while a != c:
                    while order[a] > order[c]:
                        a = idom[a]
                    while order[c] > order[a]:
                        c = idom[c]
                new = a
            if idom.get(b) != new:
                idom[b] = new
                changed = True
    return idom


def natural_loop(header: int, latches: list[int], preds: list[list[int]]) -> set[int]:
    nodes = {header}
    work = [b for b in latches if b not in nodes]
    nodes.update(work)
    while work:
        b = work.pop()
        for p in preds[b]:
            if p not in nodes:
                nodes.add(p)
                work.append(p)
    return nodes
