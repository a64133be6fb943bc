import { readFileSync } from 'node:fs';
import { ClassificationInputError, classifyDocument, type ClassifiedWorkflow } from '../../core/classify';
import { DEFINITION_READ, JsonSyntaxError, parseJsonWithLocations } from '../../plan/json';
import { isFileError } from '../../plan/load';
import { EXIT, UsageError, type CliIo } from '../io';
import { parseCommandArgs } from '../args';
import type { Command } from '../command';

const usage = `Usage: dr classify FILE... [--compact]

Classifies every trigger of the workflows in each FILE (a definition, an ARM workflow resource, an ARM
template or a Logic Apps Standard workflow.json): its kind, state side, and the roles the DR rules allow.
Prints JSON on stdout: [{ "file", "workflows": [{ "workflow", "triggers": [...] }] }].

  --compact   one line of JSON

Exit codes: 0 all files classified, 2 a file could not be read or is not a workflow (listed on stderr;
the others are still printed).`;

export const classifyCommand: Command = {
  summary: 'classify the triggers of workflow files (JSON on stdout)',
  usage,
  async run(args, io: CliIo) {
    const { values, positionals } = parseCommandArgs(args, { compact: { type: 'boolean' } });
    if (positionals.length === 0) throw new UsageError('name at least one workflow file');
    const results: { file: string; workflows: ClassifiedWorkflow[] }[] = [];
    const failures: string[] = [];
    for (const file of positionals) {
      try {
        const doc = parseJsonWithLocations(readFileSync(file, 'utf8'), file, DEFINITION_READ).value;
        results.push({ file, workflows: classifyDocument(doc, file) });
      } catch (err) {
        if (isFileError(err)) failures.push(`${file}: cannot be read (${err.code})`);
        else if (err instanceof JsonSyntaxError || err instanceof ClassificationInputError)
          failures.push(err.message);
        else throw err;
      }
    }
    io.out(values.compact ? JSON.stringify(results) : JSON.stringify(results, null, 2));
    if (failures.length) {
      io.err(
        `dr classify: ${failures.length} file(s) not classified:\n${failures.map((f) => `  - ${f}`).join('\n')}`,
      );
      return EXIT.usage;
    }
    return EXIT.ok;
  },
};
