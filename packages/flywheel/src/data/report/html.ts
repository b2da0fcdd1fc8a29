/**
 * Markup that is already safe to put in a page. Only the `html` template and the chart and page
 * builders of this folder create it, so a string from the data can reach the page only through
 * escapeHtml.
 */
export class SafeHtml {
  constructor(readonly value: string) {}

  toString(): string {
    return this.value;
  }
}

/** Anything `html` accepts: safe markup as it is, text escaped, nothing for null, undefined and false. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for element content and for quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ENTITIES[char]!);
}

function append(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) {
    let out = '';
    for (const item of value as readonly HtmlValue[]) out += append(item);
    return out;
  }
  return escapeHtml(String(value));
}

/**
 * Builds markup, escaping every interpolated value that is not itself SafeHtml.
 *
 * @example
 *   html`<td title="${name}">${name}</td>`; // name = '<b>' gives <td title="&lt;b&gt;">&lt;b&gt;</td>
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += append(values[i]!) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** Joins fragments without a separator. */
export function joinHtml(values: readonly HtmlValue[]): SafeHtml {
  return new SafeHtml(append(values));
}

/** Trusted markup written by this folder (styles, scripts, SVG path data); never data. */
export function trustedHtml(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
