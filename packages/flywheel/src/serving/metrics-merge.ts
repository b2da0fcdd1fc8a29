/** One process's text exposition, and the name it goes by in the `worker` label. */
export interface WorkerExposition {
  worker: string;
  text: string;
}

interface Family {
  /** `# HELP` and `# TYPE` lines, from the first process that has the family. */
  header: string[];
  samples: string[];
}

/**
 * The expositions of several processes serving together as one: each sample gets a `worker`
 * label, and the samples of one metric family stay together under one `# HELP` / `# TYPE`, as the
 * text format requires. Sum over `worker` for the server's totals.
 *
 * @example
 *   mergeExpositions([{ worker: '1', text: 'x_total 2\n' }, { worker: '2', text: 'x_total 3\n' }]);
 *   // 'x_total{worker="1"} 2\nx_total{worker="2"} 3\n'
 */
export function mergeExpositions(expositions: readonly WorkerExposition[]): string {
  const families = new Map<string, Family>();
  for (const { worker, text } of expositions) {
    const label = `worker="${worker.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
    // Samples belong to the family of the comment before them (`x_bucket`, `x_sum` and `x_count` to `x`).
    let family: Family | undefined;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const comment = /^# (?:HELP|TYPE) (\S+)/.exec(line);
      if (comment) {
        family = familyOf(families, comment[1] as string);
        const kind = line.slice(0, line.indexOf(' ', 2));
        if (!family.header.some((h) => h.startsWith(`${kind} `))) family.header.push(line);
        continue;
      }
      if (line.startsWith('#')) continue;
      const name = /^[^{\s]+/.exec(line)?.[0] as string;
      family ??= familyOf(families, name);
      const brace = line.indexOf('{');
      const space = line.indexOf(' ');
      family.samples.push(brace >= 0 && brace < space
        ? `${line.slice(0, brace + 1)}${label}${line[brace + 1] === '}' ? '' : ','}${line.slice(brace + 1)}`
        : `${line.slice(0, space)}{${label}}${line.slice(space)}`);
    }
  }
  let out = '';
  for (const { header, samples } of families.values()) out += [...header, ...samples].map((l) => `${l}\n`).join('');
  return out;
}

function familyOf(families: Map<string, Family>, name: string): Family {
  let family = families.get(name);
  if (!family) {
    family = { header: [], samples: [] };
    families.set(name, family);
  }
  return family;
}
