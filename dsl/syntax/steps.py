"""Parser callbacks for test files (LANGUAGE.md section 8): `tests for`, scenarios and steps."""

from __future__ import annotations

from dsl.syntax import ast
from dsl.syntax.callbacks import BuildContext


class StepCallbacks(BuildContext):
    """The test-file half of `dsl.syntax.transform.TreeBuilder`."""

    def test_file(self, c):
        kw, _for, target, scenarios = c
        last = scenarios[-1] if scenarios else None
        span = self._tn(kw, last) if last is not None else self._tt(kw, target)
        return ast.TestFile(self._plain_text(target, "the tested file's path"), tuple(scenarios), self._doc(kw),
                            self.comments, self.path, span)

    def scenario(self, c):
        kw, title, steps = c
        return ast.Scenario(self._plain_text(title, "a scenario's title"), tuple(steps), self._doc(kw),
                            self._tn(kw, steps[-1]))

    def at_step(self, c):
        kw, date = c
        return ast.AtStep(ast.DateLit(date.value, self._t(date)), self._tt(kw, date))

    def let_step(self, c):
        kw, name, _eq, value = c
        return ast.LetStep(self._ident(name), value, self._tn(kw, value))

    def let_party(self, c):
        kw, name, _eq, role, text = c
        party = ast.PartyLit(role.value, self._plain_text(text, "a party's name"), self._tt(role, text))
        return ast.LetStep(self._ident(name), party, self._tt(kw, text))

    def let_call(self, c):
        kw, name, _eq, caller, _calls, func, _lp, args, rp = c
        return ast.CallStep(self._ident(caller), self._ident(func), tuple(args or ()), False,
                            span=self._tt(kw, rp), binds=self._ident(name))

    def deploy_fails(self, c):
        *deploy, _fails, _with, text = c
        step = self.deploy_step(deploy)
        return ast.DeployStep(step.args, step.caller, self._tt(c[0], text),
                              self._plain_text(text, "an expected failure"))

    def deploy_step(self, c):
        if len(c) == 3:
            kw, _by, caller = c
            args = None
        else:
            kw, _lp, args, _rp, _by, caller = c
        return ast.DeployStep(tuple(args or ()), self._ident(caller), self._tt(kw, caller))

    def call_step(self, c):
        caller, _calls, func, _lp, args, rp = c
        return ast.CallStep(self._ident(caller), self._ident(func), tuple(args or ()), False,
                            span=self._tt(caller, rp))

    def expect_call(self, c):
        kw, caller, _calls, func, _lp, args, rp = c
        return ast.CallStep(self._ident(caller), self._ident(func), tuple(args or ()), True,
                            span=self._tt(kw, rp))

    def expect_returns(self, c):
        kw, caller, _calls, func, _lp, args, _rp, _returns, value = c
        return ast.CallStep(self._ident(caller), self._ident(func), tuple(args or ()), True, value,
                            span=self._tn(kw, value))

    def expect_fails(self, c):
        kw, caller, _calls, func, _lp, args, _rp, _fails, _with, text = c
        return ast.CallStep(self._ident(caller), self._ident(func), tuple(args or ()), True, None,
                            self._plain_text(text, "an expected failure"), self._tt(kw, text))

    def expect_emitted(self, c):
        kw, _emitted, name, _lp, args, rp = c
        return ast.ExpectEmitted(self._ident(name), tuple(args or ()), self._tt(kw, rp))

    def expect_true(self, c):
        kw, e = c
        return ast.ExpectTrue(e, self._tn(kw, e))
