/** Escapes text for an HTML part (every value a user typed goes through it). */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Collapses line breaks so a value cannot start a line of its own (or a header) in a mail. */
export function oneLine(value: string): string {
  return value.replace(/[\r\n\t]+/g, ' ').trim();
}

export interface MailLink {
  label: string;
  url: string;
}

/**
 * The text and HTML parts of a notice: a greeting, paragraphs (plain text, escaped for the
 * HTML part; user values already passed through `oneLine`), an action link, and a footer link
 * (where the recipient turns the mail off).
 */
export function composeMail(parts: {
  greeting: string;
  paragraphs: string[];
  link?: MailLink;
  footer?: MailLink;
}): { text: string; html: string } {
  const { greeting, paragraphs, link, footer } = parts;
  const text = [greeting, '', ...paragraphs.flatMap((p) => [p, ''])];
  const html = [greeting, ...paragraphs].map((p) => `<p>${escapeHtml(p)}</p>`);
  if (link) {
    text.push(`${link.label}: ${link.url}`, '');
    html.push(`<p><a href="${escapeHtml(link.url)}">${escapeHtml(link.label)}</a></p>`);
  }
  if (footer) {
    text.push('--', `${footer.label}: ${footer.url}`);
    html.push(
      `<p style="font-size:small"><a href="${escapeHtml(footer.url)}">${escapeHtml(footer.label)}</a></p>`,
    );
  }
  return { text: text.join('\n').trimEnd(), html: html.join('\n') };
}
