/**
 * `npm run infra:check`: every .bicep file under infra/ through the real Bicep compiler (`bicep build`) and
 * linter (`bicep lint`, rules in bicepconfig.json). Errors fail; warnings fail too, except those
 * infra/bicep-allowlist.json names with a reason; an allowlist entry that matches nothing fails as well.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  findBicep,
  INSTALL_HINT,
  judge,
  parseAllowlist,
  parseDiagnostics,
  REPO_ROOT,
  runBicep,
  type BicepDiagnostic,
} from './bicep';

export const ALLOWLIST = 'infra/bicep-allowlist.json';
const PATTERN = 'infra/**/*.bicep';

const show = (d: BicepDiagnostic) => `  ${d.file}(${d.line},${d.column}) ${d.level} ${d.code}: ${d.message}`;

function main(): number {
  const cli = findBicep();
  if (!cli) {
    console.error(`infra:check: no Bicep CLI found: ${INSTALL_HINT}`);
    return 1;
  }
  const allow = parseAllowlist(readFileSync(join(REPO_ROOT, ALLOWLIST), 'utf8'), ALLOWLIST);
  const out = mkdtempSync(join(tmpdir(), 'bicep-build-'));
  try {
    const build = runBicep(cli, ['build', '--pattern', PATTERN, '--outdir', out]);
    const lint = runBicep(cli, ['lint', '--pattern', PATTERN]);
    const diagnostics = parseDiagnostics(`${build.stderr}\n${lint.stderr}\n${lint.stdout}`);
    const verdict = judge(diagnostics, allow);
    const version = runBicep(cli, ['--version']).stdout.trim();
    console.log(`infra:check: ${version}, ${PATTERN}`);
    for (const { diagnostic, entry } of verdict.allowed)
      console.log(`${show(diagnostic)}\n    allowed (${ALLOWLIST}): ${entry.reason}`);
    for (const d of verdict.refused) console.error(show(d));
    for (const e of verdict.stale)
      console.error(
        `  ${ALLOWLIST}: entry ${e.code} in ${e.file} ("${e.contains}") matches no finding: remove it`,
      );
    // A failed build with no parsed diagnostic (a crash, a bad pattern) must not pass either.
    const unexplained = (build.status !== 0 || lint.status !== 0) && verdict.refused.length === 0;
    if (unexplained) console.error(`${build.stderr}\n${lint.stderr}`.trim());
    const failed = verdict.refused.length + verdict.stale.length + (unexplained ? 1 : 0);
    console.log(
      failed
        ? `infra:check: FAILED (${verdict.refused.length} finding(s) not allowed, ${verdict.stale.length} stale allowlist entr(ies))`
        : `infra:check: ok (${verdict.allowed.length} allowlisted warning(s))`,
    );
    return failed ? 1 : 0;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (require.main === module) process.exitCode = main();
