// Runs @action-validator/core (the schema checks of npm @action-validator/cli) on many files in one
// process: action.yml files as actions, everything else as workflows. Prints one JSON object
// {file: [errors]} on stdout; the C# tests judge it.
'use strict';
const fs = require('fs');
const path = require('path');
const validator = require(path.join(process.env.WRAPPER_TOOLS, '@action-validator', 'core'));

const report = {};
for (const file of process.argv.slice(2)) {
  const contents = fs.readFileSync(file, 'utf8');
  const isAction = /action\.ya?ml$/.test(file);
  const result = isAction ? validator.validateAction(contents) : validator.validateWorkflow(contents);
  report[file] = result.errors.map((e) => JSON.stringify(e));
}
process.stdout.write(JSON.stringify(report));
