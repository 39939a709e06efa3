// Starts `maestroc lsp` for MAESTRO files (language id `maestro`); see docs/editors.md.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("maestroc");
  const [command, ...args] = config.get("command", ["maestroc", "lsp"]);
  const hw = config.get("hw", "");
  client = new LanguageClient(
    "maestroc",
    "maestroc",
    { command, args },
    {
      documentSelector: [{ language: "maestro" }],
      initializationOptions: hw ? { hw } : {},
    }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
