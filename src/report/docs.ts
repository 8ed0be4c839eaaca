// Where a finding's documentation can be read on the web: the transforms/<name>.md of the
// published package, served by unpkg at the version that reported it (the same text as
// `spawnsafe explain CODE`).
export function docsUrl(name: string, version: string): string {
  return `https://unpkg.com/spawnsafe@${version}/transforms/${name}.md`;
}
