// SPDX-License-Identifier: GPL-2.0-only
/**
 * Every figure the README states comes out of the model: each `<!-- figures:NAME -->` block is rendered
 * again from real runs (scripts/readme-figures.ts) and must match the README byte for byte. On a
 * difference the test writes README.actual.md and names the accept step.
 */
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { applyBlocks, README, readmeBlocks, renderReadmeBlocks } from "../scripts/readme-figures.ts";

describe("README figures", () => {
  it("every figure block matches what the model renders now", () => {
    const text = readFileSync(README, "utf8");
    const { blocks } = renderReadmeBlocks();
    const have = readmeBlocks(text);
    const actual = applyBlocks(text, blocks);
    const stale = Object.keys(blocks).filter((k) => have.get(k) !== blocks[k]);
    const out = README.replace(/\.md$/, ".actual.md");
    if (stale.length > 0) writeFileSync(out, actual);
    else rmSync(out, { force: true });
    assert.deepEqual(stale, [], `README blocks out of date: ${stale.join(", ")}; see ${out}, accept with: npm run readme:update`);
  });

  it("its first lines are the two fresh-machine commands", () => {
    const lines = readFileSync(README, "utf8").split("\n");
    assert.equal(lines[2], "```sh");
    assert.match(lines[3] ?? "", /^npm install && npx iommu-lab compare +#/);
    assert.match(lines[4] ?? "", /^npm test +#/);
  });
});
