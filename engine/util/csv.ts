// One CSV record as Go's encoding/csv reads a single line: the syntax of BuildKit's `key=value,…`
// options (RUN --mount, --secret, --output, --cache-*) and of bake's csvdecode.

/** Splits one CSV record as Go's encoding/csv does for a single line (quotes double as escapes). */
export function csvFields(text: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error(`extraneous or missing " in quoted-field`);
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
      if (i < text.length && text[i] !== ',') throw new Error(`extraneous or missing " in quoted-field`);
    } else {
      while (i < text.length && text[i] !== ',') {
        if (text[i] === '"') throw new Error(`bare " in non-quoted-field`);
        field += text[i++];
      }
    }
    fields.push(field);
    if (i >= text.length) return fields;
    i++; // the comma
  }
}
