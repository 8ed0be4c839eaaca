// JUnit XML, the test report CI systems read (Jenkins, GitLab, Azure, CircleCI, GitHub test
// reporters): `spawnsafe verify --output-format junit`. One <testcase> per finding, failed,
// named by the pytest test that hit it where the run knows it (PYTEST_CURRENT_TEST); with no
// finding, one passing test case for the command, so that a report is never empty (Jenkins
// fails a build on an empty report). The shape is junit-10.xsd's (Jenkins' xunit plugin):
// <testsuites> > <testsuite name tests failures errors skipped time> > <testcase name
// classname time> > <failure message type>text</failure>.
import { evidenceLines, type EvidenceFinding } from "./evidence";

export interface JunitFinding {
  path: string;
  finding: EvidenceFinding;
}

export interface JunitRun {
  /** The command as the user would type it. */
  command: string;
  seconds: number;
  /** ISO 8601 without a time zone, as junit-10.xsd's timestamp. */
  timestamp: string;
}

/** XML 1.0 forbids most control characters even escaped: they are dropped. */
function text(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

function attr(s: string): string {
  return text(s).replace(/"/g, "&quot;").replace(/\n/g, "&#10;").replace(/\r/g, "&#13;").replace(/\t/g, "&#9;");
}

function testcase(f: JunitFinding): string {
  const { finding } = f;
  const at = `${f.path}:${finding.line}:${finding.column}`;
  const tests = finding.evidence?.tests ?? [];
  // classname groups test cases in CI views: by the pytest test that hit the finding, else by file.
  const classname = tests[0] ?? f.path;
  const name = `${finding.code} ${finding.name} at ${at}`;
  const body = [`${at}: ${finding.code} ${finding.message}`, ...(finding.evidence ? evidenceLines(finding.evidence, "  ") : []), `See: spawnsafe explain ${finding.code}`];
  return (
    `    <testcase name="${attr(name)}" classname="${attr(classname)}" time="0">\n` +
    `      <failure message="${attr(finding.message)}" type="${attr(finding.code)}">${text(body.join("\n"))}</failure>\n` +
    `    </testcase>\n`
  );
}

export function junitReport(findings: JunitFinding[], run: JunitRun): string {
  const n = findings.length;
  const time = run.seconds.toFixed(3);
  const cases = n > 0 ? findings.map(testcase).join("") : `    <testcase name="${attr(`spawnsafe verify: ${run.command}`)}" classname="spawnsafe" time="${time}"/>\n`;
  const tests = Math.max(n, 1);
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="spawnsafe verify" tests="${tests}" failures="${n}" errors="0" time="${time}">\n` +
    `  <testsuite name="spawnsafe verify" tests="${tests}" failures="${n}" errors="0" skipped="0" time="${time}" timestamp="${attr(run.timestamp)}">\n` +
    cases +
    `  </testsuite>\n` +
    `</testsuites>\n`
  );
}
