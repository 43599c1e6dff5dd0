// Runs one packaged task folder with azure-pipelines-task-lib's MockTestRunner on the Node version its
// handler names (20 or 24; test.sh seeds the runner's Node download cache from npm). The task runs
// for real: the real task library reads INPUT_* from the environment, the real pipeline-pki binary
// runs. Prints {succeeded, stdout, stderr, errorIssues, ran} as JSON for the C# tests.
'use strict';
const path = require('path');
const { MockTestRunner } = require(path.join(process.env.WRAPPER_TOOLS, 'azure-pipelines-task-lib', 'mock-test'));

async function main() {
  const [taskDir, nodeVersion] = process.argv.slice(2);
  const runner = new MockTestRunner();
  await runner.LoadAsync(path.join(taskDir, 'index.js'), path.join(taskDir, 'task.json'));
  await runner.runAsync(Number(nodeVersion));
  process.stdout.write(JSON.stringify({
    succeeded: runner.succeeded,
    stdout: runner.stdout,
    stderr: runner.stderr,
    errorIssues: runner.errorIssues,
    ran: Object.keys(runner.cmdlines),
    node: await runner.getNodePath(Number(nodeVersion)),
  }));
}

main().catch((error) => { console.error(error); process.exit(1); });
