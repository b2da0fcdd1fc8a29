import { randomInt } from 'node:crypto';

const ADJECTIVES = [
  'amber', 'bold', 'brave', 'bright', 'calm', 'clever', 'crisp', 'daring', 'eager', 'fast', 'gentle', 'glad',
  'honest', 'keen', 'kind', 'lucid', 'merry', 'nimble', 'proud', 'quiet', 'rapid', 'sharp', 'steady', 'swift',
  'tidy', 'vivid', 'warm', 'wise', 'witty', 'zesty',
];
const NOUNS = [
  'badger', 'bear', 'crane', 'deer', 'dove', 'eagle', 'falcon', 'finch', 'fox', 'gull', 'hare', 'hawk', 'heron',
  'ibis', 'lark', 'lynx', 'mole', 'moth', 'newt', 'otter', 'owl', 'panda', 'quail', 'raven', 'robin', 'seal',
  'swan', 'trout', 'wolf', 'wren',
];

/** A readable run name such as `brave-owl-417`, in MLflow's `<adjective>-<noun>-<number>` shape. */
export function randomRunName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}-${randomInt(1000)}`;
}
