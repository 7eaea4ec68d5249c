// Runs Lighthouse (mobile, its default form factor and throttling) on the pages
// named in a JSON job, in one headless Chromium, and prints a JSON summary.
// cmd/portal/lighthouse_test.go writes the job and judges the summary.
//
//   node run.mjs job.json > summary.json
//
// job: {chromePath, outDir, runs, pages: [{name, url, headers}]}
//
// CPU throttling is calibrated as Lighthouse's docs/throttling.md says: its
// default 4x slowdown turns a high-end desktop (benchmarkIndex 1500-2000) into
// a mid-tier phone; on a slower host the same phone is a smaller slowdown. A
// first run measures the host's benchmarkIndex; every run then uses the
// multiplier for it (see cpuMultiplier). Each page runs `runs` times and its
// performance score is the median run's, as docs/variability.md advises. Each
// page also runs once at Lighthouse's default 4x, whatever the host.
import fs from 'node:fs';
import path from 'node:path';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import * as constants from 'lighthouse/core/config/constants.js';

const categories = ['performance', 'accessibility', 'best-practices', 'seo'];

// cpuMultiplier maps a host's benchmarkIndex to the slowdown that emulates
// the mid-tier phone Lighthouse's 4x emulates from a high-end desktop: 4x at
// 1750 (the middle of that bracket), 2x at 1250 (the middle of the low-end
// desktop bracket, for which the docs suggest 2x, range 1-4), linear between,
// never above the default 4x nor below 1x.
function cpuMultiplier(benchmarkIndex) {
  const m = benchmarkIndex / 250 - 3;
  return Math.round(Math.min(4, Math.max(1, m)) * 10) / 10;
}

function settings(multiplier) {
  return {
    extends: 'lighthouse:default',
    settings: {
      onlyCategories: categories,
      formFactor: 'mobile',
      screenEmulation: constants.screenEmulationMetrics.mobile,
      throttlingMethod: 'simulate',
      throttling: {...constants.throttling.mobileSlow4G, cpuSlowdownMultiplier: multiplier},
    },
  };
}

// audit runs Lighthouse once in a fresh Chromium. A run that Lighthouse itself
// reports as broken (a runtimeError such as NO_NAVSTART, "please run
// Lighthouse again") is run again, up to twice; a score is never retried.
async function audit(page, multiplier, file) {
  let lhr, report;
  for (let attempt = 1; ; attempt++) {
    const chrome = await chromeLauncher.launch({chromePath: job.chromePath, chromeFlags});
    try {
      const result = await lighthouse(page.url,
        {port: chrome.port, output: 'json', logLevel: 'error', extraHeaders: page.headers || {}}, settings(multiplier));
      if (!result || !result.lhr) {
        throw new Error(`lighthouse gave no result for ${page.url}`);
      }
      lhr = result.lhr;
      report = result.report;
    } finally {
      await chrome.kill();
    }
    if (!lhr.runtimeError) {
      break;
    }
    if (attempt === 3) {
      throw new Error(`${page.url}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
    }
    process.stderr.write(`${page.url}: ${lhr.runtimeError.code}, running Lighthouse again\n`);
  }
  const result = {report};
  fs.writeFileSync(file, result.report);
  const scores = {};
  for (const c of categories) {
    scores[c] = lhr.categories[c].score;
  }
  // The audits that cost points, to say why a score is short.
  const failing = Object.values(lhr.audits)
    .filter((a) => a.score !== null && a.score < 1 &&
      !['informative', 'notApplicable', 'manual'].includes(a.scoreDisplayMode))
    .map((a) => `${a.id} ${a.score}${a.displayValue ? ' (' + a.displayValue + ')' : ''}`);
  return {scores, failing, benchmarkIndex: lhr.environment.benchmarkIndex, finalUrl: lhr.finalDisplayedUrl,
    statusCode: lhr.audits['http-status-code'] ? lhr.audits['http-status-code'].score : null};
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

const chromeFlags = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'];
const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
fs.mkdirSync(job.outDir, {recursive: true});
{
  const calibration = await audit(job.pages[0], 4, path.join(job.outDir, 'calibration.json'));
  const multiplier = cpuMultiplier(calibration.benchmarkIndex);
  const summary = {benchmarkIndex: calibration.benchmarkIndex, cpuSlowdownMultiplier: multiplier, pages: []};
  for (const page of job.pages) {
    const runs = [];
    for (let i = 0; i < job.runs; i++) {
      runs.push(await audit(page, multiplier, path.join(job.outDir, `${page.name}-${i + 1}.json`)));
    }
    const byDefault = page === job.pages[0] ? calibration :
      await audit(page, 4, path.join(job.outDir, `${page.name}-default-4x.json`));
    const perf = runs.map((r) => r.scores.performance);
    const med = runs.find((r) => r.scores.performance === median(perf));
    summary.pages.push({
      name: page.name,
      url: page.url,
      finalUrl: med.finalUrl,
      performance: median(perf),
      performanceRuns: perf,
      performanceDefault4x: byDefault.scores.performance,
      failingDefault4x: byDefault.failing,
      // The other categories do not depend on the CPU: every run must score them.
      accessibility: Math.min(...runs.map((r) => r.scores.accessibility)),
      bestPractices: Math.min(...runs.map((r) => r.scores['best-practices'])),
      seo: Math.min(...runs.map((r) => r.scores.seo)),
      failing: med.failing,
      benchmarkIndexes: runs.map((r) => r.benchmarkIndex),
    });
  }
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
}
