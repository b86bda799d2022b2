// The GitHub workflows: valid YAML, CI runs the same command as .ci/run in Debian bookworm, and
// Pages publishes build/site.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const load = (name) => {
  const doc = YAML.parseDocument(fs.readFileSync(path.join(root, '.github/workflows', name), 'utf8'));
  assert.deepEqual(doc.errors.map((e) => e.message), [], `${name} is valid YAML`);
  return doc.toJS();
};
const ciCommand = () => {
  const lines = fs.readFileSync(path.join(root, '.ci/run'), 'utf8').split('\n').filter((l) => /^exec\s/.test(l));
  assert.equal(lines.length, 1, '.ci/run has one exec line');
  return lines[0].replace(/^exec\s+/, '').trim();
};

test('CI runs the README\'s test command on every push and pull request, in Debian bookworm', () => {
  const ci = load('ci.yml');
  assert.ok('push' in ci.on && 'pull_request' in ci.on);
  const jobs = Object.values(ci.jobs);
  assert.equal(jobs.length, 1);
  assert.equal(jobs[0].container, 'debian:bookworm');
  const runs = jobs[0].steps.filter((s) => s.run).map((s) => s.run.trim());
  assert.ok(runs.includes(ciCommand()), `a step runs '${ciCommand()}'`);
  assert.match(fs.readFileSync(path.join(root, 'README.md'), 'utf8'), new RegExp(`^${ciCommand()}\\b`, 'm'));
  assert.ok(jobs[0].steps.some((s) => s.uses && s.uses.startsWith('actions/checkout@')));
});

test('Pages builds the site from main and deploys build/site', () => {
  const pages = load('pages.yml');
  assert.deepEqual(pages.on.push.branches, ['main']);
  assert.equal(pages.permissions.pages, 'write');
  assert.equal(pages.permissions['id-token'], 'write');
  const upload = pages.jobs.build.steps.find((s) => s.uses && s.uses.startsWith('actions/upload-pages-artifact@'));
  assert.equal(upload.with.path, 'build/site');
  assert.ok(pages.jobs.build.steps.some((s) => s.run && s.run.includes('scripts/build-web')));
  assert.deepEqual(pages.jobs.deploy.needs, 'build');
  assert.ok(pages.jobs.deploy.steps.some((s) => s.uses && s.uses.startsWith('actions/deploy-pages@')));
  assert.equal(pages.jobs.deploy.environment.name, 'github-pages');
});
