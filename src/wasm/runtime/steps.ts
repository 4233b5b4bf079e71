// The evaluation step budget. Every iteration of a policy loop (a Scan: `some x in xs`,
// comprehensions, `every`, partial rules) spends one step in rt_iter_next; when the budget is spent
// the evaluation aborts. A host that wants a bound (govern's governor) sets the budget before each
// evaluation with govern_steps_set; a plain OPA host never does, so the budget is never reached.
import { abortWith } from "./alloc";

let stepsLeft: i64 = i64.MAX_VALUE;

/** Sets how many loop iterations the next evaluation may run (the host's time limit, in steps). */
export function govern_steps_set(budget: i64): void {
  stepsLeft = budget;
}

/** What is left of the budget (the host reads it to report how many steps an evaluation took). */
export function govern_steps_left(): i64 {
  return stepsLeft;
}

// @ts-ignore: decorator
@inline
export function spendStep(): void {
  stepsLeft--;
  if (stepsLeft < 0) abortWith("govern_step_limit: the evaluation ran past its step budget");
}
