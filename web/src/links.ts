// Which addresses a link may carry, wherever a text is shown (the editor, a frozen version): the
// web and e-mail, nothing a browser would run. The server's rule is the same
// (`domain.proposals.link_of`).

/** What a link may point to. */
export function safeHref(href: string): boolean {
  return /^(https?:\/\/[^\s]+|mailto:[^\s]+)$/i.test(href.trim());
}

/** A run's link address from its `link:<href>` mark (a frozen version's blocks), when safe. */
export function linkOf(marks: string[]): string | null {
  for (const mark of marks) if (mark.startsWith("link:") && safeHref(mark.slice(5))) return mark.slice(5);
  return null;
}
