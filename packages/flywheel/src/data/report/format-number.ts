/** 1234567 → `1,234,567`; independent of the machine's locale so reports are reproducible. */
export function formatCount(value: number): string {
  const [whole, fraction] = String(Math.abs(value)).split('.');
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${value < 0 ? '−' : ''}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}

/**
 * A measured value for a table: integers in full, other values to four significant digits, very
 * large or very small ones in exponent form.
 */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return formatCount(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 1e9 || magnitude < 1e-4) return minus(value.toExponential(2).replace(/\.?0+e/, 'e'));
  return minus(String(Number(value.toPrecision(4))));
}

/**
 * A share 0…1 as a percentage with as many digits as a small share needs to stay visible:
 * 0.1623 → `16.2%`, 0.0000065 → `0.00065%`.
 */
export function formatShare(share: number | null | undefined): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return '—';
  if (share === 0) return '0%';
  const percent = share * 100;
  if (Math.abs(percent) >= 10) return `${minus(percent.toFixed(1).replace(/\.0$/, ''))}%`;
  if (Math.abs(percent) >= 0.1) return `${minus(percent.toFixed(2).replace(/\.?0+$/, ''))}%`;
  return `${minus(String(Number(percent.toPrecision(2))))}%`;
}

/** A p-value: small ones in exponent form, since they are compared with thresholds like 0.05. */
export function formatProbability(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (value === 0) return '0';
  if (value < 1e-3) return value.toExponential(1);
  return String(Number(value.toPrecision(3)));
}

/**
 * An axis label: compact (`12k`, `1.5M`) and with no more decimals than the tick step shows.
 */
export function formatTick(value: number, step: number): string {
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 && step >= 1e5) return `${trimmed(value / 1e6, step / 1e6)}M`;
  if (magnitude >= 1e4 && step >= 100) return `${trimmed(value / 1e3, step / 1e3)}k`;
  return trimmed(value, step);
}

function trimmed(value: number, step: number): string {
  const decimals = Math.min(10, Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
  return minus(value.toFixed(decimals));
}

/** A typographic minus, which lines up with digits in tables and axes. */
function minus(text: string): string {
  return text.startsWith('-') ? `−${text.slice(1)}` : text;
}
