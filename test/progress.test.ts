// The progress bar's timing and drawing, with a fake terminal and a fake clock.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { barLine, progressBar } from "../src/report/progress";

function terminal(isTTY: boolean) {
  const written: string[] = [];
  return { stream: { isTTY, columns: 60, write: (t: string) => written.push(t) }, written };
}

test("nothing before the delay, then at most one redraw per interval, erased at the end", () => {
  let now = 0;
  const { stream, written } = terminal(true);
  const bar = progressBar(stream, { delayMs: 1000, intervalMs: 100, now: () => now });
  for (now = 0; now < 1000; now += 10) bar.update(now / 10, 500);
  assert.deepEqual(written, [], "a short run draws nothing");
  now = 1000;
  bar.update(100, 500);
  now = 1050;
  bar.update(105, 500);
  now = 1100;
  bar.update(110, 500);
  assert.equal(written.length, 2);
  assert.equal(written[0], `\r\u001b[2K${barLine(100, 500, 1, 60)}`);
  bar.finish();
  assert.equal(written[written.length - 1], "\r\u001b[2K");
});

test("a run that ends before the delay leaves nothing to erase", () => {
  let now = 0;
  const { stream, written } = terminal(true);
  const bar = progressBar(stream, { now: () => now });
  bar.update(1, 2);
  now = 500;
  bar.update(2, 2);
  bar.finish();
  assert.deepEqual(written, []);
});

test("not a terminal: never drawn, however long the run", () => {
  let now = 0;
  const { stream, written } = terminal(false);
  const bar = progressBar(stream, { now: () => now });
  for (now = 0; now < 60_000; now += 50) bar.update(now, 60_000);
  bar.finish();
  assert.deepEqual(written, []);
});

test("the bar line fits the terminal and counts files", () => {
  assert.equal(barLine(5, 10, 2.04, 80), `[${"#".repeat(20)}${".".repeat(20)}]  5/10 files  2.0 s`);
  assert.ok(barLine(1234, 5000, 3.2, 40).length <= 40);
  assert.equal(barLine(0, 3, 0, 80).startsWith("[...."), true);
});
