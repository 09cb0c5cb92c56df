"""The fixed phrases of an explained contract, in English and Chinese.

Everything a reader sees that is not taken from the contract itself comes from here, so a
translation is one table and a missing phrase is a test failure rather than a stray English word
in a Chinese document. Identifiers and comments are never translated: they are the contract's
own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

LANGUAGES = ("en", "zh")

_EN: Mapping[str, str] = MappingProxyType({
    # document
    "subtitle": "The contract explained for business readers",
    "module_subtitle": "The module explained for business readers",
    # a description shown in another language than the document's, where the contract has none
    "fallback": "({language})",
    "lang_en": "English",
    "lang_zh": "Chinese",
    "contents": "Contents",
    "label": "{label}: ",
    "list_sep": ", ",
    "parties": "Parties",
    "party_may": "What {party} may do",
    "party_may_nothing": "Nothing: no action or view names this party.",
    "may_call_actions": "call {names}",
    "may_call_views": "read {names}",
    "or_sep": " or ",
    "may_deploy": "deploy the contract",
    "may_move": "move {subject} from {sources} to {target}",
    "records": "Records",
    "enums": "Enumerations",
    "state": "What the contract keeps",
    "events": "Events",
    "lifecycles": "Lifecycles",
    "init": "Deployment",
    "actions": "Actions",
    "views": "Views",
    "functions": "Calculations",
    "examples": "Acceptance examples",
    "uses": "Modules used",
    "uses_line": "It uses the functions, records and enumerations of the modules {modules}.",
    "emitted_by": "Emitted by {names}.",
    "emitted_by_none": "No action emits it.",
    # tables
    "col_field": "Field",
    "col_type": "Type",
    "col_default": "Default",
    "col_description": "Description",
    "col_value": "Value",
    "col_name": "Name",
    "col_initial": "Starts as",
    "col_event_fields": "Fields",
    "col_from": "From",
    "col_to": "To",
    "col_who": "Who may make the move",
    "col_scenario": "Example",
    "col_steps": "Steps",
    "col_outcome": "Current outcome",
    "none": "—",
    "empty_start": "empty",
    # lifecycles
    "lifecycle_of": "{subject}",
    "lifecycle_starts": "A new {record} starts as {start}.",
    "lifecycle_no_start": "A new {record} may start in any state.",
    "lifecycle_diagram": "State diagram of {subject}",
    "final_state": "final",
    # functions
    "who_may_call": "Who may call it",
    "anyone": "any party of the contract",
    "inputs": "Inputs",
    "no_inputs": "No inputs.",
    "steps": "Steps",
    "summary_changes": "Changes",
    "summary_emits": "Emits",
    "summary_returns": "Returns",
    "changes_nothing": "nothing",
    "emits_nothing": "no event",
    "returns_nothing": "nothing",
    "where": "Where",
    "no_steps": "Nothing happens.",
    # steps
    "step_require": "Requires {cond}; otherwise the call fails with {message}.",
    "step_compute": "Computes {formula}.",
    "step_set": "Sets {target} to {value}.",
    "step_increase": "Increases {target} by {value}.",
    "step_decrease": "Decreases {target} by {value}.",
    "step_emit": "Emits {event}{fields}.",
    "step_emit_fields": " with {fields}",
    "step_return": "Returns {value}.",
    "step_return_nothing": "Stops here.",
    "step_fail": "Fails with {message}.",
    "step_delete": "Removes {target}.",
    "step_append": "Appends {value} to {target}.",
    "step_call": "Works out {call}.",
    "step_pass": "Does nothing.",
    "step_lifecycle_note": " The change must follow the lifecycle {subjects}.",
    "step_if": "If {cond}:",
    "step_elif": "Otherwise, if {cond}:",
    "step_else": "Otherwise:",
    "step_for_each": "For each {var} in {items}:",
    "step_for_pairs": "For each {key} and {value} in {items}, in key order:",
    "step_for_range": "For each {var} from {low} up to, but not including, {high}:",
    "requirement_failed": "requirement failed: {source}",
    # formulas
    "f_and": "and",
    "f_or": "or",
    "f_not": "not {x}",
    "f_in": "{x} is in {xs}",
    "f_not_in": "{x} is not in {xs}",
    "f_of": "{field} of {obj}",
    "f_field": "the {record}'s {field}",
    "f_field_plural": "the {record}' {field}",  # a record named in the plural: the benefits' annual limit
    "f_get": "{m}[{k}] (or {d} if there is none)",
    "f_none": "empty",
    "f_is_none": "{x} is empty",
    "f_is_not_none": "{x} is not empty",
    "f_or_else": "{x} (or {d} if it is empty)",
    "f_or_fail": "{x} (if it is empty, the call fails with {m})",
    "f_if": "{then} if {cond}, otherwise {otherwise}",
    "f_floor_div": "whole part of {x} ÷ {y}",
    "f_len": "length of {x}",
    "f_year": "year of {x}",
    "f_month": "month of {x}",
    "f_day": "day of {x}",
    "f_days_between": "days from {x} to {y}",
    "f_add_months": "{x} plus {y} months",
    "caller": "the caller",
    "caller.org": "the caller's organisation",
    "caller.id": "the caller's identity",
    "caller.role": "the caller's role",
    "now": "now",
    "today": "today",
    "tx_id": "the transaction's id",
    # plain-word types
    "t_Int": "whole number",
    "t_Decimal": "decimal number",
    "t_Money": "amount of money",
    "t_Percent": "percentage",
    "t_Date": "date",
    "t_Duration": "number of days",
    "t_Timestamp": "point in time",
    "t_Text": "text",
    "t_Bool": "yes or no",
    "t_Hash": "fingerprint (hash)",
    "t_Party": "party",
    "t_List": "list of {elem}",
    "t_Map": "{value} for each {key}",
    "t_optional": "{t}, may be empty",
    "t_key_parts": "{parts} (a {name})",
    "t_parts_last": " and ",
    "t_enum": "one of {name}",
    # scenarios
    "examples_file": "Examples from {file}. Each starts on a fresh ledger on 2024-01-01 with the contract deployed.",
    "examples_none": "This contract has no test file ({file} was not found).",
    "ex_at": "On {date}:",
    "ex_party": "{name} is the {role} {org}.",
    "ex_let": "{name} = {value}.",
    "ex_deploy": "{caller} deploys the contract{args}.",
    "ex_deploy_args": " with {args}",
    "ex_deploy_fails": "{caller} deploys the contract{args}; it is refused with {text}.",
    "ex_call": "{caller} calls {call}.",
    "ex_call_ok": "{caller} calls {call}; it succeeds.",
    "ex_call_returns": "{caller} calls {call}; it returns {value}.",
    "ex_call_fails": "{caller} calls {call}; it is refused with {text}.",
    "ex_call_keeps": "{caller} calls {call}; what it returns is called {name}.",
    "ex_emitted": "Event {event} was emitted with {fields}.",
    "ex_emitted_bare": "Event {event} was emitted.",
    "ex_expect": "Check: {cond}.",
    "outcome_passed": "passes",
    "outcome_failed": "fails: {reason}",
    "outcome_failed_line": "fails at line {line}: {reason}",
    "outcome_not_run": "not run",
    "outcomes_not_run_note": "The scenario runner is not available, so outcomes are shown as “not run”.",
    "outcomes_summary": "{passed} passing, {failed} failing.",
    # html
    "generated": "Generated by baochain explain from {file}.",
})

_ZH: Mapping[str, str] = MappingProxyType({
    "subtitle": "合约说明（供业务人员阅读）",
    "module_subtitle": "模块说明（供业务人员阅读）",
    "fallback": "（{language}）",
    "lang_en": "英文",
    "lang_zh": "中文",
    "contents": "目录",
    "label": "{label}：",
    "list_sep": "、",
    "parties": "参与方",
    "party_may": "{party} 可执行的操作",
    "party_may_nothing": "无：没有任何操作或查询指定此参与方。",
    "may_call_actions": "调用操作 {names}",
    "may_call_views": "使用查询 {names}",
    "or_sep": " 或 ",
    "may_deploy": "部署合约",
    "may_move": "将 {subject} 从 {sources} 变更为 {target}",
    "records": "记录类型",
    "enums": "枚举类型",
    "state": "合约保存的数据",
    "events": "事件",
    "lifecycles": "状态流转",
    "init": "部署",
    "actions": "操作",
    "views": "查询",
    "functions": "计算规则",
    "examples": "验收示例",
    "uses": "引用的模块",
    "uses_line": "本合约使用模块 {modules} 中的函数、记录类型和枚举类型。",
    "emitted_by": "由 {names} 发出。",
    "emitted_by_none": "没有操作发出此事件。",
    "col_field": "字段",
    "col_type": "类型",
    "col_default": "默认值",
    "col_description": "说明",
    "col_value": "取值",
    "col_name": "名称",
    "col_initial": "初始值",
    "col_event_fields": "字段",
    "col_from": "起始状态",
    "col_to": "目标状态",
    "col_who": "可由谁执行",
    "col_scenario": "示例",
    "col_steps": "步骤",
    "col_outcome": "当前结果",
    "none": "—",
    "empty_start": "空",
    "lifecycle_of": "{subject}",
    "lifecycle_starts": "新的 {record} 初始状态为 {start}。",
    "lifecycle_no_start": "新的 {record} 可以处于任一状态。",
    "lifecycle_diagram": "{subject} 的状态图",
    "final_state": "终态",
    "who_may_call": "谁可以调用",
    "anyone": "合约的任一参与方",
    "inputs": "输入",
    "no_inputs": "无输入。",
    "steps": "步骤",
    "summary_changes": "修改",
    "summary_emits": "发出事件",
    "summary_returns": "返回",
    "changes_nothing": "无",
    "emits_nothing": "无",
    "returns_nothing": "无",
    "where": "其中",
    "no_steps": "不做任何事。",
    "step_require": "前提条件：{cond}；否则调用失败，提示 {message}。",
    "step_compute": "计算 {formula}。",
    "step_set": "将 {target} 设为 {value}。",
    "step_increase": "将 {target} 增加 {value}。",
    "step_decrease": "将 {target} 减少 {value}。",
    "step_emit": "发出事件 {event}{fields}。",
    "step_emit_fields": "（{fields}）",
    "step_return": "返回 {value}。",
    "step_return_nothing": "到此结束。",
    "step_fail": "失败，提示 {message}。",
    "step_delete": "删除 {target}。",
    "step_append": "在 {target} 末尾添加 {value}。",
    "step_call": "计算 {call}。",
    "step_pass": "不做任何事。",
    "step_lifecycle_note": "此变更须符合 {subjects} 的状态流转。",
    "step_if": "如果 {cond}：",
    "step_elif": "否则，如果 {cond}：",
    "step_else": "否则：",
    "step_for_each": "对 {items} 中的每个 {var}：",
    "step_for_pairs": "按键的顺序，对 {items} 中的每组 {key} 和 {value}：",
    "step_for_range": "对从 {low} 到 {high}（不含）的每个 {var}：",
    "requirement_failed": "requirement failed: {source}",
    "f_and": "且",
    "f_or": "或",
    "f_not": "并非 {x}",
    "f_in": "{xs} 中有 {x}",
    "f_not_in": "{xs} 中没有 {x}",
    "f_of": "{obj}的{field}",
    "f_field": "{record}的{field}",
    "f_field_plural": "{record}的{field}",
    "f_get": "{m}[{k}]（若无则为 {d}）",
    "f_none": "空",
    "f_is_none": "{x} 为空",
    "f_is_not_none": "{x} 不为空",
    "f_or_else": "{x}（若为空则为 {d}）",
    "f_or_fail": "{x}（若为空则调用失败：{m}）",
    "f_if": "若 {cond} 则 {then}，否则 {otherwise}",
    "f_floor_div": "{x} ÷ {y} 的整数部分",
    "f_len": "{x} 的长度",
    "f_year": "{x} 的年份",
    "f_month": "{x} 的月份",
    "f_day": "{x} 的日",
    "f_days_between": "从 {x} 到 {y} 的天数",
    "f_add_months": "{x} 加 {y} 个月",
    "caller": "调用方",
    "caller.org": "调用方所属机构",
    "caller.id": "调用方标识",
    "caller.role": "调用方角色",
    "now": "当前时间",
    "today": "当天",
    "tx_id": "交易编号",
    "t_Int": "整数",
    "t_Decimal": "小数",
    "t_Money": "金额",
    "t_Percent": "百分比",
    "t_Date": "日期",
    "t_Duration": "天数",
    "t_Timestamp": "时间点",
    "t_Text": "文本",
    "t_Bool": "是或否",
    "t_Hash": "哈希值",
    "t_Party": "参与方",
    "t_List": "{elem} 的列表",
    "t_Map": "按 {key} 记录的 {value}",
    "t_optional": "{t}，可为空",
    "t_key_parts": "{parts}（{name}）",
    "t_parts_last": " 和 ",
    "t_enum": "{name} 之一",
    "examples_file": "示例来自 {file}。每个示例都从全新的账本开始（2024-01-01），合约已部署。",
    "examples_none": "此合约没有测试文件（未找到 {file}）。",
    "ex_at": "日期为 {date}：",
    "ex_party": "{name} 是 {role} {org}。",
    "ex_let": "{name} = {value}。",
    "ex_deploy": "{caller} 部署合约{args}。",
    "ex_deploy_args": "，参数为 {args}",
    "ex_deploy_fails": "{caller} 部署合约{args}，被拒绝并提示 {text}。",
    "ex_call": "{caller} 调用 {call}。",
    "ex_call_ok": "{caller} 调用 {call}，调用成功。",
    "ex_call_returns": "{caller} 调用 {call}，返回 {value}。",
    "ex_call_fails": "{caller} 调用 {call}，被拒绝并提示 {text}。",
    "ex_call_keeps": "{caller} 调用 {call}，返回值记为 {name}。",
    "ex_emitted": "发出了事件 {event}，其中 {fields}。",
    "ex_emitted_bare": "发出了事件 {event}。",
    "ex_expect": "检查：{cond}。",
    "outcome_passed": "通过",
    "outcome_failed": "未通过：{reason}",
    "outcome_failed_line": "未通过（第 {line} 行）：{reason}",
    "outcome_not_run": "未运行",
    "outcomes_not_run_note": "场景运行器不可用，因此结果显示为“未运行”。",
    "outcomes_summary": "{passed} 个通过，{failed} 个未通过。",
    "generated": "由 baochain explain 根据 {file} 生成。",
})

_TABLES: Mapping[str, Mapping[str, str]] = MappingProxyType({"en": _EN, "zh": _ZH})


class UnknownLanguage(ValueError):
    """A language other than those in LANGUAGES was asked for."""


@dataclass(frozen=True, slots=True)
class Phrases:
    """The phrase book of one language. ``phrases("step_set", target=..., value=...)``."""

    lang: str
    table: Mapping[str, str]

    def __call__(self, phrase: str, /, **values: str) -> str:
        return self.table[phrase].format(**values) if values else self.table[phrase]

    def spaced(self, phrase: str, /, **values: str) -> str:
        """The phrase with its slots filled, a space set only where a slot's Latin text meets the
        phrase's Chinese (`保单的保额`, `Consent 的 amount`, `checks[key] 的 revoked`): for
        phrases that name things rather than read as a sentence."""
        out: list[str] = []
        pos = 0
        table = self.table[phrase]
        for m in re.finditer(r"\{(\w+)\}", table):
            out.append(table[pos:m.start()])
            out.append(values[m.group(1)])
            pos = m.end()
        out.append(table[pos:])
        text = ""
        for piece in out:
            if text and piece and _apart(text[-1], piece[0]):
                text += " "
            text += piece
        return text

    def template(self, phrase: str) -> str:
        """The raw phrase with its `{slots}`, for callers that fill the slots with formatted runs."""
        return self.table[phrase]


_BETWEEN_HAN = re.compile(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])")


def _apart(left: str, right: str) -> bool:
    """Whether two pieces of a spaced phrase need a space where they meet: a Chinese and a
    Latin character side by side."""
    if left.isspace() or right.isspace():
        return False
    return _is_han(left) != _is_han(right)


def _is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"


def close_up(text: str, lang: str) -> str:
    """Chinese sets no space between two Chinese words ("按文本记录的金额"); the phrase slots keep
    one so that a Latin name beside them stays apart ("按文本记录的 Policy")."""
    return _BETWEEN_HAN.sub("", text) if lang == "zh" else text


def phrases_for(lang: str) -> Phrases:
    try:
        return Phrases(lang, _TABLES[lang])
    except KeyError:
        raise UnknownLanguage(f"unknown language {lang!r}: use one of {', '.join(LANGUAGES)}") from None


def phrase_keys(lang: str) -> frozenset[str]:
    """The keys a language defines (the tests hold both tables to the same set)."""
    return frozenset(_TABLES[lang])
