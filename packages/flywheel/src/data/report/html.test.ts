import { describe, expect, it } from 'vitest';
import { escapeHtml, html, joinHtml, SafeHtml } from './html.js';

describe('escapeHtml', () => {
  it('escapes the characters that open tags, entities and attribute values', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });

  it('leaves other text alone, including non-ASCII', () => {
    expect(escapeHtml('Zürich → 東京 ✓')).toBe('Zürich → 東京 ✓');
  });
});

describe('html', () => {
  it('escapes interpolated text in content and attributes', () => {
    const name = '<script>alert(1)</script>';
    expect(html`<td title="${name}">${name}</td>`.value)
      .toBe('<td title="&lt;script&gt;alert(1)&lt;/script&gt;">&lt;script&gt;alert(1)&lt;/script&gt;</td>');
  });

  it('keeps nested safe markup, joins arrays and drops null, undefined and false', () => {
    const items = ['a<b', 'c'].map((item) => html`<li>${item}</li>`);
    expect(html`<ul>${items}${null}${undefined}${false}</ul>`.value).toBe('<ul><li>a&lt;b</li><li>c</li></ul>');
    expect(html`${0} ${true}`.value).toBe('0 true');
  });

  it('joins fragments and text with text escaped', () => {
    const joined = joinHtml([html`<b>x</b>`, '<i>']);
    expect(joined).toBeInstanceOf(SafeHtml);
    expect(String(joined)).toBe('<b>x</b>&lt;i&gt;');
  });
});
