import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { findAliasedVersion } from '../deploy/model-version-file.js';
import { defineArtifactType } from '../pipeline/artifact-types.js';
import { component } from '../pipeline/component.js';

/**
 * Which registered model version a candidate is compared with: what an alias pointed at when the
 * pipeline ran. As an artifact, it puts the baseline in the evaluation's cache key and lineage.
 */
export const Baseline = defineArtifactType('Baseline', { fileName: 'baseline.json' });

export const BASELINE_FORMAT = 'flywheel.baseline/v1';

const baselineFormat = z.strictObject({
  format: z.literal(BASELINE_FORMAT),
  model: z.string(),
  alias: z.string(),
  /** null when the alias is not set (no champion yet). */
  version: z.number().int().positive().nullable(),
  digest: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
});
export type BaselineRef = z.infer<typeof baselineFormat>;

export async function readBaselineFile(path: string): Promise<BaselineRef> {
  const parsed = baselineFormat.safeParse(JSON.parse(await readFile(path, 'utf8')));
  if (!parsed.success) throw new InvalidInputError('baseline', `${path} is not a ${BASELINE_FORMAT} file: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/**
 * Looks up the version an alias (`champion` by default) points at, at the time the step runs.
 * Never cached, since the registry changes between runs; the evaluation that consumes it is
 * cached as long as the alias points at the same model.
 *
 * @example
 *   const champion = p.step(resolveBaselineComponent, { params: { model: 'flights' } });
 *   p.step(evaluateComponent, { inputs: { model, examples, baseline: champion.outputs.baseline } });
 */
export const resolveBaselineComponent = component({
  name: 'resolve-baseline',
  version: '1',
  description: 'The registered model version an alias points at, to compare candidates with',
  params: z.object({ model: z.string().min(1), alias: z.string().min(1).default('champion') }),
  outputs: { baseline: Baseline },
  cacheable: false,
  run: async ({ params, outputs, stack, log }) => {
    const version = await findAliasedVersion(stack.registry, params.model, params.alias);
    const ref: BaselineRef = {
      format: BASELINE_FORMAT,
      model: params.model,
      alias: params.alias,
      version: version?.version ?? null,
      digest: version?.digest ?? null,
    };
    await writeFile(outputs.baseline.path, `${JSON.stringify(ref, null, 2)}\n`);
    Object.assign(outputs.baseline.properties, { model: ref.model, alias: ref.alias, version: ref.version });
    log.info(version ? `${params.model}@${params.alias} is v${version.version}` : `${params.model} has no ${params.alias} yet`);
    return { version: ref.version };
  },
});
