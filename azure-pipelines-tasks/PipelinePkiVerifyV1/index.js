// PipelinePki: verify signatures: this task's inputs become one `pipeline-pki verify` command line.
// [input, option, shape, required]; the CLI itself writes the ##vso output variables (--ci azure).
require('./pipeline-pki-task').run(['verify'], [
  ['files', '', 'args', true],
  ['signature', '--signature', 'value'],
  ['trust', '--trust', 'lines', true],
  ['untrusted', '--untrusted', 'lines'],
  ['crl', '--crl', 'lines'],
  ['revocation', '--revocation', 'value'],
  ['softFail', '--soft-fail', 'flag'],
  ['at', '--at', 'value'],
  ['identity', '--identity', 'value'],
  ['manifest', '--manifest', 'flag'],
  ['digest', '--digest', 'value'],
  ['subject', '--subject', 'value'],
  ['verbose', '--verbose', 'flag'],
]);
