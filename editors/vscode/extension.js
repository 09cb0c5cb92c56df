// The Bao extension: starts `baochain lsp` and connects VS Code to it.
//
// Plain JavaScript with no npm dependencies, so the folder loads as it is (no build step): it
// speaks the little of the Language Server Protocol it needs itself (Content-Length framing,
// requests and their answers, notifications) instead of using vscode-languageclient. Documents are
// sent whole on every change (full sync); the server's diagnostics go to a DiagnosticCollection;
// hover, definition, completion, rename, formatting and the outline are VS Code providers that ask
// the server. The command is the setting `bao.server.command` (default: baochain lsp).
"use strict";

const vscode = require("vscode");
const { spawn } = require("child_process");

let server = null;

class Connection {
  constructor(argv, output) {
    this.output = output;
    this.nextId = 1;
    this.waiting = new Map();
    this.onNotification = () => {};
    this.buffer = Buffer.alloc(0);
    this.process = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
    this.process.stdout.on("data", (chunk) => this.receive(chunk));
    this.process.stderr.on("data", (chunk) => output.append(chunk.toString()));
    this.process.on("error", (err) => {
      output.appendLine(`cannot start ${argv.join(" ")}: ${err.message}`);
      vscode.window.showErrorMessage(`Bao: cannot start the language server (${argv.join(" ")}): ${err.message}. ` +
        "Set bao.server.command.");
    });
    this.process.on("exit", (code) => {
      output.appendLine(`the language server exited (${code})`);
      for (const { reject } of this.waiting.values()) reject(new Error("the language server exited"));
      this.waiting.clear();
    });
  }

  send(message) {
    const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...message }), "utf8");
    this.process.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.process.stdin.write(body);
  }

  request(method, params) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.send({ id, method, params });
    });
  }

  notify(method, params) {
    this.send({ method, params });
  }

  receive(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf("\r\n\r\n");
      if (headerEnd < 0) return;
      const match = /Content-Length: *(\d+)/i.exec(this.buffer.slice(0, headerEnd).toString("ascii"));
      const length = match ? Number(match[1]) : 0;
      if (this.buffer.length < headerEnd + 4 + length) return;
      const message = JSON.parse(this.buffer.slice(headerEnd + 4, headerEnd + 4 + length).toString("utf8"));
      this.buffer = this.buffer.slice(headerEnd + 4 + length);
      this.dispatch(message);
    }
  }

  dispatch(message) {
    if (message.method !== undefined && message.id !== undefined) {
      this.send({ id: message.id, result: null }); // the server's own requests: nothing to configure
    } else if (message.method !== undefined) {
      this.onNotification(message.method, message.params);
    } else if (this.waiting.has(message.id)) {
      const { resolve, reject } = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.error) reject(new Error(message.error.message));
      else resolve(message.result);
    }
  }

  stop() {
    this.request("shutdown", null).finally(() => {
      this.notify("exit", null);
    });
    setTimeout(() => this.process.kill(), 2000);
  }
}

// -- protocol values <-> VS Code values --------------------------------------------------------
const position = (p) => new vscode.Position(p.line, p.character);
const range = (r) => new vscode.Range(position(r.start), position(r.end));
const at = (document, pos) => ({
  textDocument: { uri: document.uri.toString() },
  position: { line: pos.line, character: pos.character },
});
const edits = (list) => (list || []).map((e) => vscode.TextEdit.replace(range(e.range), e.newText));
const SEVERITY = [null, vscode.DiagnosticSeverity.Error, vscode.DiagnosticSeverity.Warning,
  vscode.DiagnosticSeverity.Information, vscode.DiagnosticSeverity.Hint];

function diagnostic(d) {
  const out = new vscode.Diagnostic(range(d.range), d.message, SEVERITY[d.severity || 1]);
  out.code = d.code;
  out.source = d.source;
  out.relatedInformation = (d.relatedInformation || []).map((r) => new vscode.DiagnosticRelatedInformation(
    new vscode.Location(vscode.Uri.parse(r.location.uri), range(r.location.range)), r.message));
  return out;
}

function documentSymbol(s) {
  const out = new vscode.DocumentSymbol(s.name, s.detail || "", s.kind - 1, range(s.range), range(s.selectionRange));
  out.children = (s.children || []).map(documentSymbol);
  return out;
}

function activate(context) {
  const output = vscode.window.createOutputChannel("Bao");
  const argv = vscode.workspace.getConfiguration("bao").get("server.command") || ["baochain", "lsp"];
  const connection = new Connection(argv, output);
  server = connection;
  const diagnostics = vscode.languages.createDiagnosticCollection("bao");
  connection.onNotification = (method, params) => {
    if (method === "textDocument/publishDiagnostics") {
      diagnostics.set(vscode.Uri.parse(params.uri), params.diagnostics.map(diagnostic));
    } else if (method === "window/logMessage" || method === "window/showMessage") {
      output.appendLine(params.message);
    }
  };
  const root = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  const ready = connection.request("initialize", {
    processId: process.pid,
    rootUri: root ? root.uri.toString() : null,
    capabilities: {},
  }).then(() => connection.notify("initialized", {}));

  const isBao = (document) => document.languageId === "bao";
  const open = (document) => {
    if (!isBao(document)) return;
    ready.then(() => connection.notify("textDocument/didOpen", {
      textDocument: { uri: document.uri.toString(), languageId: "bao", version: document.version,
        text: document.getText() },
    }));
  };
  vscode.workspace.textDocuments.forEach(open);
  const ask = (method, params) => ready.then(() => connection.request(method, params));
  const selector = { language: "bao" };

  context.subscriptions.push(
    output, diagnostics,
    vscode.workspace.onDidOpenTextDocument(open),
    vscode.workspace.onDidChangeTextDocument((event) => {
      if (!isBao(event.document)) return;
      ready.then(() => connection.notify("textDocument/didChange", {
        textDocument: { uri: event.document.uri.toString(), version: event.document.version },
        contentChanges: [{ text: event.document.getText() }],
      }));
    }),
    vscode.workspace.onDidSaveTextDocument((document) => {
      if (isBao(document)) {
        ready.then(() => connection.notify("textDocument/didSave", { textDocument: { uri: document.uri.toString() } }));
      }
    }),
    vscode.workspace.onDidCloseTextDocument((document) => {
      if (!isBao(document)) return;
      ready.then(() => connection.notify("textDocument/didClose", { textDocument: { uri: document.uri.toString() } }));
      diagnostics.delete(document.uri);
    }),
    vscode.languages.registerHoverProvider(selector, {
      provideHover: (document, pos) => ask("textDocument/hover", at(document, pos)).then((h) =>
        h && new vscode.Hover(new vscode.MarkdownString(h.contents.value), h.range && range(h.range))),
    }),
    vscode.languages.registerDefinitionProvider(selector, {
      provideDefinition: (document, pos) => ask("textDocument/definition", at(document, pos)).then((l) =>
        l && new vscode.Location(vscode.Uri.parse(l.uri), range(l.range))),
    }),
    vscode.languages.registerCompletionItemProvider(selector, {
      provideCompletionItems: (document, pos) => ask("textDocument/completion", at(document, pos)).then((list) =>
        (list ? list.items : []).map((i) => {
          const item = new vscode.CompletionItem(i.label, i.kind ? i.kind - 1 : undefined);
          item.detail = i.detail;
          return item;
        })),
    }, "."),
    vscode.languages.registerRenameProvider(selector, {
      provideRenameEdits: (document, pos, newName) =>
        ask("textDocument/rename", { ...at(document, pos), newName }).then((result) => {
          const edit = new vscode.WorkspaceEdit();
          for (const [uri, list] of Object.entries((result && result.changes) || {})) {
            edit.set(vscode.Uri.parse(uri), edits(list));
          }
          return edit;
        }),
    }),
    vscode.languages.registerDocumentFormattingEditProvider(selector, {
      provideDocumentFormattingEdits: (document, options) => ask("textDocument/formatting", {
        textDocument: { uri: document.uri.toString() },
        options: { tabSize: options.tabSize, insertSpaces: options.insertSpaces },
      }).then(edits, (err) => {
        vscode.window.showWarningMessage(`Bao: ${err.message}`);
        return [];
      }),
    }),
    vscode.languages.registerDocumentSymbolProvider(selector, {
      provideDocumentSymbols: (document) => ask("textDocument/documentSymbol", {
        textDocument: { uri: document.uri.toString() },
      }).then((symbols) => (symbols || []).map(documentSymbol)),
    }),
    { dispose: () => connection.stop() },
  );
}

function deactivate() {
  if (server) server.stop();
  server = null;
}

module.exports = { activate, deactivate };
