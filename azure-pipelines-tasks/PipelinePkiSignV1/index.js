// PipelinePki: sign artifacts: this task's inputs become one `pipeline-pki sign` command line.
// [input, option, shape, required]; the CLI itself writes the ##vso output variables (--ci azure).
require('./pipeline-pki-task').run(['sign'], [
  ['files', '', 'args'],
  ['key', '--key', 'value', true],
  ['cert', '--cert', 'value', true],
  ['chain', '--chain', 'lines'],
  ['passphraseEnv', '--passphrase-env', 'value'],
  ['signatureFormat', '--signature-format', 'value'],
  ['timestamp', '--timestamp', 'value'],
  ['home', '--home', 'value'],
  ['caPassphraseEnv', '--ca-passphrase-env', 'value'],
  ['outDir', '--out-dir', 'value'],
  ['manifest', '--manifest', 'value'],
  ['digest', '--digest', 'lines'],
  ['subject', '--subject', 'value'],
  ['verbose', '--verbose', 'flag'],
]);
