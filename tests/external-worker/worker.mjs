// A Camunda 7 external-task worker, written as its users write them, run unchanged against
// Quire by tests/apps/camunda_worker_test.cc, signing in as a secured Camunda engine-rest asks:
// HTTP Basic through the client's BasicAuthInterceptor.
// Usage: node worker.mjs http://127.0.0.1:PORT USER PASSWORD (a password or an API token)
//
// Topic "charge"; what it does depends on the process variable `mode`:
//   ok      extend the lock, then complete with a number and an object variable
//   reject  throw the BPMN error TOO_EXPENSIVE (with a variable)
//   flaky   fail once with retries left and a retry timeout, then complete
//   broken  fail with no retries left (an incident)
import { BasicAuthInterceptor, Client, Variables } from "camunda-external-task-client-js";

const [base, username, password] = process.argv.slice(2);
const client = new Client({
  baseUrl: `${base}/engine-rest`,
  interceptors: new BasicAuthInterceptor({ username, password }),
  workerId: "node-worker",
  asyncResponseTimeout: 2000,
  interval: 50,
  lockDuration: 20000,
  autoPoll: true,
});

const attempts = new Map();

client.subscribe("charge", async ({ task, taskService }) => {
  const mode = task.variables.get("mode");
  const amount = task.variables.get("amount");
  try {
    if (mode === "ok") {
      await taskService.extendLock(task, 30000);
      const vars = new Variables()
        .set("charged", amount * 2)
        .set("receipt", { no: 7, lines: [amount, amount] });
      await taskService.complete(task, vars);
    } else if (mode === "reject") {
      await taskService.handleBpmnError(task, "TOO_EXPENSIVE", "over the limit",
                                        new Variables().set("reason", "limit"));
    } else if (mode === "flaky") {
      const n = (attempts.get(task.id) ?? 0) + 1;
      attempts.set(task.id, n);
      if (n === 1) {
        await taskService.handleFailure(task, {
          errorMessage: "gateway timeout",
          errorDetails: "upstream did not answer",
          retries: 2,
          retryTimeout: 200,
        });
      } else {
        await taskService.complete(task, new Variables().set("attempts", n));
      }
    } else if (mode === "broken") {
      await taskService.handleFailure(task, {
        errorMessage: "card declined",
        errorDetails: "no retry can fix this",
        retries: 0,
        retryTimeout: 0,
      });
    }
    console.log(`handled ${task.id} ${mode}`);
  } catch (e) {
    console.log(`error ${task.id} ${mode}: ${e}`);
  }
});

console.log("worker started");
process.on("SIGTERM", () => {
  client.stop();
  process.exit(0);
});
