/** `my "col"` → `"my ""col"""`: an identifier safe to splice into SQL. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `it's` → `'it''s'`: a string literal safe to splice into SQL. */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
