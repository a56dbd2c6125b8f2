// The npm bpmn-engine on the reference process, as a user of it would run it durably:
// each instance's getState() is written to a file and fsynced when it waits at the user
// task and when it ends. Prints instances/s with and without that persistence, and memory
// per waiting instance. Usage: node bench.mjs REFERENCE.bpmn [instances] [waiting]
import { Engine } from "bpmn-engine";
import BpmnModdle from "bpmn-moddle";
import { EventEmitter } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const [file, count = "2000", waitingCount = "2000"] = process.argv.slice(2);
const source = fs.readFileSync(file, "utf8");
const moddleContext = await new BpmnModdle().fromXML(source);
// On the same disk as Quire's store when QUIRE_BENCH_DIR says where (fsync costs differ).
const parent = process.env.QUIRE_BENCH_DIR ? path.dirname(path.resolve(process.env.QUIRE_BENCH_DIR)) : os.tmpdir();
const dir = fs.mkdtempSync(path.join(parent, "bpmn-engine-"));

function persist(name, state) {
  const fd = fs.openSync(path.join(dir, `${name}.json`), "w");
  fs.writeSync(fd, JSON.stringify(state));
  fs.fsyncSync(fd);
  fs.closeSync(fd);
}

// Runs one instance to its end; the user task is signalled as soon as it waits.
async function runOne(i, durable) {
  const name = `instance-${i}`;
  const engine = new Engine({ name, moddleContext: moddleContext, settings: { enableDummyService: true } });
  const listener = new EventEmitter();
  const ended = new Promise((resolve, reject) => {
    engine.once("end", resolve);
    engine.once("error", reject);
  });
  listener.on("wait", async (api) => {
    if (durable) persist(name, await engine.getState());
    api.signal({ approved: true });
  });
  await engine.execute({ listener, variables: { amount: 500 } });
  await ended;
  if (durable) persist(name, await engine.getState());
}

async function measure(n, durable) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; ++i) await runOne(i, durable);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return n / seconds;
}

await measure(Math.min(200, Number(count)), true);  // warm-up
const durable = await measure(Number(count), true);
const inMemory = await measure(Number(count), false);

// Memory per waiting instance: engines left waiting at the user task.
global.gc?.();
const before = process.memoryUsage().heapUsed;
const waiting = [];
for (let i = 0; i < Number(waitingCount); ++i) {
  const engine = new Engine({ name: `w${i}`, moddleContext, settings: { enableDummyService: true } });
  const listener = new EventEmitter();
  const atTask = new Promise((resolve) => listener.once("wait", resolve));
  await engine.execute({ listener, variables: { amount: 500 } });
  await atTask;
  waiting.push(engine);
}
global.gc?.();
const perWaiting = (process.memoryUsage().heapUsed - before) / waiting.length;

fs.rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({
  engine: "bpmn-engine",
  instances: Number(count),
  durable_per_second: Math.round(durable),
  in_memory_per_second: Math.round(inMemory),
  waiting: waiting.length,
  bytes_per_waiting_instance: Math.round(perWaiting),
}));
