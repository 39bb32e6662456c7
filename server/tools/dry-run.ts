/** The answer of a destructive tool called without confirm: what would happen, and how to do it. */
export function dryRun(preview: string, tool: string): string {
  return `Dry run: ${preview}. Nothing was changed. To do it, call ${tool} again with confirm: true.`;
}
